import Foundation
import HTTPTypes
import MatrixCore
import Replication
import Testing

@Suite("Rooms: create, membership, send, state, history")
struct RoomRoutesTests {
    @Test("createRoom makes a version 12 room by default with the preset's state", .timeLimit(.minutes(2)))
    func createRoomDefaults() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice, ["name": "Garden", "topic": "Plants", "preset": "public_chat"])
            let (status, state) = try await api.call(.get, "/_matrix/client/v3/rooms/\(escaped(roomID))/state", token: alice)
            #expect(status == 200)
            let events = try #require(state.arrayValue)
            func content(_ type: String) -> JSONValue? {
                events.first { $0["type"]?.stringValue == type }?["content"]
            }
            #expect(content("m.room.create")?["room_version"]?.stringValue == "12")
            #expect(content("m.room.join_rules")?["join_rule"]?.stringValue == "public")
            #expect(content("m.room.history_visibility")?["history_visibility"]?.stringValue == "shared")
            #expect(content("m.room.name")?["name"]?.stringValue == "Garden")
            #expect(content("m.room.topic")?["topic"]?.stringValue == "Plants")
            // v12: the creator's power comes from the create event, not from power levels.
            #expect(content("m.room.power_levels")?["users"]?.objectValue?.isEmpty == true)
            let (_, joined) = try await api.call(.get, "/_matrix/client/v3/joined_rooms", token: alice)
            #expect(joined["joined_rooms"]?.arrayValue == [.string(roomID)])
        }
    }

    @Test("every stable room version can be created and written to", .timeLimit(.minutes(2)))
    func everyRoomVersion() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            for version in 1...12 {
                let roomID = try await api.createRoom(token: alice, ["room_version": .string(String(version))])
                let (status, sent) = try await api.send("hello v\(version)", in: roomID, token: alice)
                #expect(status == 200, "room version \(version): \(sent.jsonString())")
                let (_, create) = try await api.call(
                    .get, "/_matrix/client/v3/rooms/\(escaped(roomID))/state/m.room.create", token: alice)
                #expect(create["room_version"]?.stringValue == String(version))
            }
            let (status, body) = try await api.call(.post, "/_matrix/client/v3/createRoom", token: alice,
                                                    body: ["room_version": "99"])
            #expect(status == 400)
            #expect(body["errcode"]?.stringValue == "M_UNSUPPORTED_ROOM_VERSION")
        }
    }

    @Test("a retried transaction ID returns the first event; messages page backwards and forwards",
          .timeLimit(.minutes(2)))
    func sendAndPaginate() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let (_, first) = try await api.send("once", in: roomID, token: alice, txn: "txn-1")
            let (_, retry) = try await api.send("once", in: roomID, token: alice, txn: "txn-1")
            #expect(first["event_id"] == retry["event_id"])
            for index in 1...5 { _ = try await api.send("message \(index)", in: roomID, token: alice) }

            let base = "/_matrix/client/v3/rooms/\(escaped(roomID))/messages"
            let (status, page) = try await api.call(.get, "\(base)?dir=b&limit=3", token: alice)
            #expect(status == 200)
            let bodies = page["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue }
            #expect(bodies == ["message 5", "message 4", "message 3"])
            let end = try #require(page["end"]?.stringValue)
            let (_, next) = try await api.call(.get, "\(base)?dir=b&limit=3&from=\(end)", token: alice)
            #expect(next["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue }
                    == ["message 2", "message 1", "once"])

            let (_, forward) = try await api.call(.get, "\(base)?dir=f&limit=100", token: alice)
            let forwardBodies = forward["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue } ?? []
            #expect(forwardBodies == ["once", "message 1", "message 2", "message 3", "message 4", "message 5"])
            #expect(forward["chunk"]?.arrayValue?.first?["type"]?.stringValue == "m.room.create")
            #expect(forward["end"] == nil)

            let (bad, badBody) = try await api.call(.get, "\(base)?from=garbage", token: alice)
            #expect(bad == 400)
            #expect(badBody["errcode"]?.stringValue == "M_INVALID_PARAM")
        }
    }

    @Test("invite and join; outsiders can neither read nor send; leaving stops the view at the leave",
          .timeLimit(.minutes(2)))
    func membershipAndVisibility() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let mallory = try await api.register("mallory")
            let roomID = try await api.createRoom(token: alice)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"

            let (joinUninvited, joinBody) = try await api.call(.post, "\(room)/join", token: bob, body: [:])
            #expect(joinUninvited == 403)
            #expect(joinBody["errcode"]?.stringValue == "M_FORBIDDEN")

            #expect(try await api.call(.post, "\(room)/invite", token: alice, body: ["user_id": "@bob:test.local"]).status == 200)
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob, body: [:]).status == 200)
            _ = try await api.send("welcome bob", in: roomID, token: alice)

            let (_, members) = try await api.call(.get, "\(room)/joined_members", token: bob)
            #expect(Set(members["joined"]?.objectValue?.keys ?? []) == ["@alice:test.local", "@bob:test.local"])
            #expect(members["joined"]?["@bob:test.local"]?["display_name"]?.stringValue == "bob")

            let (readStatus, readBody) = try await api.call(.get, "\(room)/messages", token: mallory)
            #expect(readStatus == 403)
            #expect(readBody["errcode"]?.stringValue == "M_FORBIDDEN")
            // world_readable history is open to anyone; writing still needs membership.
            #expect(try await api.call(.put, "\(room)/state/m.room.history_visibility", token: alice,
                                       body: ["history_visibility": "world_readable"]).status == 200)
            let (openStatus, open) = try await api.call(.get, "\(room)/messages?dir=b&limit=50", token: mallory)
            #expect(openStatus == 200)
            #expect(open["chunk"]?.arrayValue?.contains { $0["content"]?["body"]?.stringValue == "welcome bob" } == true)
            #expect(try await api.call(.put, "\(room)/state/m.room.history_visibility", token: alice,
                                       body: ["history_visibility": "shared"]).status == 200)
            let (sendStatus, _) = try await api.send("spam", in: roomID, token: mallory)
            #expect(sendStatus == 403)
            #expect(try await api.call(.get, "\(room)/state", token: mallory).status == 403)

            #expect(try await api.call(.post, "\(room)/leave", token: bob, body: [:]).status == 200)
            _ = try await api.send("after bob left", in: roomID, token: alice)
            let (_, history) = try await api.call(.get, "\(room)/messages?dir=b&limit=50", token: bob)
            let seen = history["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue } ?? []
            #expect(seen.contains("welcome bob"))
            #expect(!seen.contains("after bob left"))

            #expect(try await api.call(.post, "\(room)/ban", token: alice,
                                       body: ["user_id": "@bob:test.local", "reason": "spam"]).status == 200)
            #expect(try await api.call(.post, "\(room)/invite", token: alice,
                                       body: ["user_id": "@bob:test.local"]).status == 403)
            #expect(try await api.call(.post, "\(room)/unban", token: alice,
                                       body: ["user_id": "@bob:test.local"]).status == 200)
        }
    }

    @Test("state: put, get, unchanged puts reuse the event, power levels guard it", .timeLimit(.minutes(2)))
    func stateEvents() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            let (_, first) = try await api.call(.put, "\(room)/state/m.room.topic", token: alice, body: ["topic": "A"])
            let (_, same) = try await api.call(.put, "\(room)/state/m.room.topic/", token: alice, body: ["topic": "A"])
            #expect(first["event_id"] == same["event_id"])
            let (_, topic) = try await api.call(.get, "\(room)/state/m.room.topic", token: alice)
            #expect(topic["topic"]?.stringValue == "A")
            #expect(try await api.call(.get, "\(room)/state/m.room.avatar", token: alice).status == 404)

            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob, body: [:]).status == 200)
            let (denied, deniedBody) = try await api.call(.put, "\(room)/state/m.room.topic", token: bob, body: ["topic": "B"])
            #expect(denied == 403)
            #expect(deniedBody["errcode"]?.stringValue == "M_FORBIDDEN")

            let (eventStatus, event) = try await api.call(
                .get, "\(room)/event/\(escaped(first["event_id"]?.stringValue ?? ""))", token: bob)
            #expect(eventStatus == 200)
            #expect(event["content"]?["topic"]?.stringValue == "A")
        }
    }

    @Test("aliases: createRoom's alias resolves, a taken alias is M_ROOM_IN_USE, joins by alias work",
          .timeLimit(.minutes(2)))
    func aliases() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["room_alias_name": "lobby", "preset": "public_chat"])
            let (_, resolved) = try await api.call(.get, "/_matrix/client/v3/directory/room/\(escaped("#lobby:test.local"))")
            #expect(resolved["room_id"]?.stringValue == roomID)
            let (taken, takenBody) = try await api.call(.post, "/_matrix/client/v3/createRoom", token: alice,
                                                        body: ["room_alias_name": "lobby"])
            #expect(taken == 400)
            #expect(takenBody["errcode"]?.stringValue == "M_ROOM_IN_USE")
            let (_, joined) = try await api.call(.post, "/_matrix/client/v3/join/\(escaped("#lobby:test.local"))",
                                                 token: bob, body: [:])
            #expect(joined["room_id"]?.stringValue == roomID)
            #expect(try await api.call(.get, "/_matrix/client/v3/directory/room/\(escaped("#nothing:test.local"))").status == 404)
            let (_, listed) = try await api.call(.get, "/_matrix/client/v3/rooms/\(escaped(roomID))/aliases", token: bob)
            #expect(listed["aliases"]?.arrayValue == ["#lobby:test.local"])
            #expect(try await api.call(.put, "/_matrix/client/v3/directory/room/\(escaped("#second:test.local"))", token: bob,
                                       body: ["room_id": .string(roomID)]).status == 200)
            #expect(try await api.call(.delete, "/_matrix/client/v3/directory/room/\(escaped("#second:test.local"))",
                                       token: alice).status == 403)
            #expect(try await api.call(.delete, "/_matrix/client/v3/directory/room/\(escaped("#second:test.local"))",
                                       token: bob).status == 200)
        }
    }

    @Test("profile changes reach the member events of joined rooms; a member sets a per-room name by state",
          .timeLimit(.minutes(2)))
    func profilePropagation() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob).status == 200)
            #expect(try await api.call(.put, "/_matrix/client/v3/profile/@alice:test.local/displayname", token: alice,
                                       body: ["displayname": "Alice Liddell"]).status == 200)
            let alicePath = "/_matrix/client/v3/rooms/\(escaped(roomID))/state/m.room.member/@alice:test.local"
            let (_, member) = try await api.call(.get, alicePath, token: alice)
            #expect(member["displayname"]?.stringValue == "Alice Liddell")
            #expect(try await api.call(.put, "/_matrix/client/v3/profile/@bob:test.local/displayname", token: alice,
                                       body: ["displayname": "Not Bob"]).status == 403)

            #expect(try await api.call(.put, alicePath, token: alice,
                                       body: ["membership": "join", "displayname": "Al"]).status == 200)
            #expect(try await api.call(.get, alicePath, token: bob).json["displayname"] == "Al")
            // Membership changes and other members' events go through the membership endpoints.
            #expect(try await api.call(.put, alicePath, token: alice, body: ["membership": "leave"]).status == 403)
            #expect(try await api.call(.put, alicePath, token: bob,
                                       body: ["membership": "join", "displayname": "Mallory"]).status == 403)
            #expect(try await api.call(.get, alicePath, token: bob).json["displayname"] == "Al")
        }
    }

    @Test("every persisted event is announced on the events stream with its position", .timeLimit(.minutes(2)))
    func eventsAreAnnounced() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let reader = try await StreamReader.startingNow(connection: api.redis, stream: .events)
            let (_, sent) = try await api.send("announced", in: roomID, token: alice)
            let eventID = try #require(sent["event_id"]?.stringValue)
            var found: [String: String]?
            for try await entry in reader where entry.fields["event_id"] == eventID {
                found = entry.fields
                break
            }
            #expect(found?["room_id"] == roomID)
            #expect(found?["type"] == "m.room.message")
            #expect(Int64(found?["position"] ?? "") ?? 0 > 0)
        }
    }

    @Test("redactions: own events and moderators' redactions are served pruned; others' are refused",
          .timeLimit(.minutes(2)))
    func redactions() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            #expect(try await api.call(.post, "\(room)/join", token: bob, body: [:]).status == 200)
            let aliceEvent = try #require(try await api.send("from alice", in: roomID, token: alice).1["event_id"]?.stringValue)
            let bobEvent = try #require(try await api.send("from bob", in: roomID, token: bob).1["event_id"]?.stringValue)

            let (refused, refusedBody) = try await api.call(
                .put, "\(room)/redact/\(escaped(aliceEvent))/r1", token: bob, body: ["reason": "mine now"])
            #expect(refused == 403)
            #expect(refusedBody["errcode"]?.stringValue == "M_FORBIDDEN")
            #expect(try await api.call(.put, "\(room)/redact/\(escaped("$unknown"))/r2", token: bob, body: [:]).status == 404)

            let (own, ownBody) = try await api.call(.put, "\(room)/redact/\(escaped(bobEvent))/r3", token: bob,
                                                    body: ["reason": "typo"])
            #expect(own == 200)
            let (_, redacted) = try await api.call(.get, "\(room)/event/\(escaped(bobEvent))", token: alice)
            #expect(redacted["content"]?.objectValue?.isEmpty == true)
            #expect(redacted["unsigned"]?["redacted_because"]?["event_id"] == ownBody["event_id"])
            #expect(redacted["unsigned"]?["redacted_because"]?["content"]?["reason"]?.stringValue == "typo")

            #expect(try await api.call(.put, "\(room)/redact/\(escaped(aliceEvent))/r4", token: alice, body: [:]).status == 200)
            let (_, page) = try await api.call(.get, "\(room)/messages?dir=b&limit=10", token: bob)
            let messages = page["chunk"]?.arrayValue?.filter { $0["type"]?.stringValue == "m.room.message" } ?? []
            #expect(messages.count == 2)
            #expect(messages.allSatisfy { $0["content"]?.objectValue?.isEmpty == true })
        }
    }

    @Test("kick, knock, member filters and forget", .timeLimit(.minutes(2)))
    func kickKnockForget() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            #expect(try await api.call(.post, "\(room)/join", token: bob, body: [:]).status == 200)
            #expect(try await api.call(.post, "\(room)/kick", token: bob, body: ["user_id": "@alice:test.local"]).status == 403)
            let (forgetJoined, _) = try await api.call(.post, "\(room)/forget", token: bob, body: [:])
            #expect(forgetJoined == 400)
            #expect(try await api.call(.post, "\(room)/kick", token: alice,
                                       body: ["user_id": "@bob:test.local", "reason": "bye"]).status == 200)
            let (_, left) = try await api.call(.get, "\(room)/members?membership=leave", token: alice)
            #expect(left["chunk"]?.arrayValue?.map { $0["state_key"]?.stringValue } == ["@bob:test.local"])
            #expect(left["chunk"]?.arrayValue?.first?["content"]?["reason"]?.stringValue == "bye")
            let (_, joined) = try await api.call(.get, "\(room)/members?not_membership=leave", token: alice)
            #expect(joined["chunk"]?.arrayValue?.map { $0["state_key"]?.stringValue } == ["@alice:test.local"])
            #expect(try await api.call(.get, "\(room)/messages", token: bob).status == 200)
            #expect(try await api.call(.post, "\(room)/forget", token: bob, body: [:]).status == 200)
            #expect(try await api.call(.get, "\(room)/messages", token: bob).status == 403)

            // Knocking needs a knock join rule (room v7+); in a public room it is refused.
            let knockRoom = try await api.createRoom(token: alice, ["initial_state": [
                ["type": "m.room.join_rules", "state_key": "", "content": ["join_rule": "knock"]],
            ]])
            let (knock, knockBody) = try await api.call(.post, "/_matrix/client/v3/knock/\(escaped(knockRoom))", token: bob,
                                                        body: ["reason": "let me in"])
            #expect(knock == 200)
            #expect(knockBody["room_id"]?.stringValue == knockRoom)
            #expect(try await api.call(.post, "/_matrix/client/v3/knock/\(escaped(roomID))", token: bob, body: [:]).status == 403)
        }
    }
}
