import Foundation
import HTTPTypes
import HomeserverTesting
import MatrixCore
import Testing

struct LongPollNotWaiting: Error {}

/// `/sync` served as the sync worker serves it, over the client API's real writes.
@Suite("Sync: initial and incremental sync, gaps, long-polls, invites, leaves, account data, receipts")
struct SyncRoutesTests {
    static let sync = "/_matrix/client/v3/sync"

    static func timelineBodies(_ response: JSONValue, _ roomID: String, section: String = "join") -> [String] {
        response["rooms"]?[section]?[roomID]?["timeline"]?["events"]?.arrayValue?
            .compactMap { $0["content"]?["body"]?.stringValue } ?? []
    }

    @Test("initial sync gives the timeline and the state before it; a gap is limited with a prev_batch for /messages",
          .timeLimit(.minutes(2)))
    func initialSync() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice, ["name": "Garden"])
            for index in 1...3 { _ = try await api.send("m\(index)", in: roomID, token: alice) }

            let (status, full) = try await api.call(.get, Self.sync, token: alice)
            #expect(status == 200)
            #expect(Self.timelineBodies(full, roomID) == ["m1", "m2", "m3"])
            #expect(full["next_batch"]?.stringValue?.hasPrefix("s") == true)

            let filter = escaped(#"{"room":{"timeline":{"limit":2}}}"#)
            let (_, limited) = try await api.call(.get, "\(Self.sync)?filter=\(filter)", token: alice)
            let room = try #require(limited["rooms"]?["join"]?[roomID])
            #expect(Self.timelineBodies(limited, roomID) == ["m2", "m3"])
            #expect(room["timeline"]?["limited"] == true)
            let stateTypes = Set(room["state"]?["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? [])
            #expect(stateTypes.isSuperset(of: ["m.room.create", "m.room.member", "m.room.power_levels", "m.room.name"]))
            let prevBatch = try #require(room["timeline"]?["prev_batch"]?.stringValue)
            let (_, older) = try await api.call(
                .get, "/_matrix/client/v3/rooms/\(escaped(roomID))/messages?dir=b&limit=1&from=\(prevBatch)", token: alice
            )
            #expect(older["chunk"]?.arrayValue?.first?["content"]?["body"] == "m1")
        }
    }

    @Test("incremental sync returns only what came after the token; a long-poll wakes on a send", .timeLimit(.minutes(2)))
    func incrementalAndLongPoll() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            _ = try await api.send("before", in: roomID, token: alice)
            let (_, initial) = try await api.call(.get, Self.sync, token: alice)
            let token = try #require(initial["next_batch"]?.stringValue)

            let (_, idle) = try await api.call(.get, "\(Self.sync)?since=\(token)&timeout=0", token: alice)
            #expect(idle["rooms"]?["join"]?.objectValue?.isEmpty == true)
            // Only the typing and presence positions (cluster-wide, moved by other tests) may have moved.
            #expect(idle["next_batch"]?.stringValue?.split(separator: "_").dropLast(2)
                == token.split(separator: "_").dropLast(2))

            // Waits longer than the test may run: only the wake-up can answer it in time.
            async let polled = api.call(.get, "\(Self.sync)?since=\(token)&timeout=300000", token: alice)
            try await eventually(within: .seconds(10)) {
                guard api.syncNotifier.waiting == 1 else { throw LongPollNotWaiting() }
            }
            _ = try await api.send("after", in: roomID, token: alice)
            let (status, woken) = try await polled
            #expect(status == 200)
            #expect(Self.timelineBodies(woken, roomID) == ["after"])
            #expect(woken["rooms"]?["join"]?[roomID]?["state"]?["events"]?.arrayValue?.isEmpty == true)
            #expect(woken["rooms"]?["join"]?[roomID]?["timeline"]?["limited"] == false)

            // A gap in an incremental sync: the state that changed in it comes as state.
            let next = try #require(woken["next_batch"]?.stringValue)
            #expect(try await api.call(.put, "/_matrix/client/v3/rooms/\(escaped(roomID))/state/m.room.topic", token: alice,
                                       body: ["topic": "Gaps"]).status == 200)
            for index in 1...3 { _ = try await api.send("gap \(index)", in: roomID, token: alice) }
            let filter = escaped(#"{"room":{"timeline":{"limit":1}}}"#)
            let (_, gap) = try await api.call(.get, "\(Self.sync)?since=\(next)&filter=\(filter)", token: alice)
            let gapRoom = try #require(gap["rooms"]?["join"]?[roomID])
            #expect(Self.timelineBodies(gap, roomID) == ["gap 3"])
            #expect(gapRoom["timeline"]?["limited"] == true)
            #expect(gapRoom["state"]?["events"]?.arrayValue?.map { $0["type"]?.stringValue } == ["m.room.topic"])
        }
    }

    @Test("unsigned links the replaced state event and the sending device's transaction ID; a profile change is no rejoin",
          .timeLimit(.minutes(2)))
    func unsignedLinks() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            let (_, login) = try await api.call(.post, "/_matrix/client/v3/login", body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "alice"],
                "password": "correct horse battery",
            ])
            let otherDevice = try #require(login["access_token"]?.stringValue)
            let roomID = try await api.createRoom(token: alice)
            let (_, sent) = try await api.send("hello", in: roomID, token: alice, txn: "txn-hello")
            let messageID = try #require(sent["event_id"]?.stringValue)
            let memberPath = "/_matrix/client/v3/rooms/\(escaped(roomID))/state/m.room.member/\(escaped("@alice:test.local"))"
            let (_, join) = try await api.call(.get, memberPath + "?format=event", token: alice)
            let joinID = try #require(join["event_id"]?.stringValue)
            let beforeRename = try await api.call(.get, Self.sync, token: alice).json["next_batch"]?.stringValue
            let profile = "/_matrix/client/v3/profile/\(escaped("@alice:test.local"))/displayname"
            #expect(try await api.call(.put, profile, token: alice, body: ["displayname": "Alice Liddell"]).status == 200)
            let (_, renamed) = try await api.call(.get, memberPath + "?format=event", token: alice)

            func unsigned(_ response: JSONValue, _ eventID: String) -> JSONValue? {
                response["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?
                    .first { $0["event_id"]?.stringValue == eventID }?["unsigned"]
            }
            let (_, sendersSync) = try await api.call(.get, Self.sync, token: alice)
            // Her own profile change is no new join: an incremental sync does not send the room's state again.
            let (_, incremental) = try await api.call(.get, "\(Self.sync)?since=\(try #require(beforeRename))", token: alice)
            #expect(incremental["rooms"]?["join"]?[roomID]?["state"]?["events"] == [])
            #expect(Self.timelineBodies(incremental, roomID) == [])
            #expect(incremental["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?.count == 1)
            #expect(unsigned(sendersSync, messageID)?["transaction_id"] == "txn-hello")
            let renameID = try #require(renamed["event_id"]?.stringValue)
            let rename = try #require(unsigned(sendersSync, renameID))
            #expect(rename["replaces_state"]?.stringValue == joinID)
            #expect(rename["prev_sender"] == "@alice:test.local")
            #expect(rename["prev_content"]?["membership"] == "join")
            #expect(rename["prev_content"]?["displayname"] == "alice")
            #expect(unsigned(sendersSync, joinID)?["replaces_state"] == nil)

            let (_, otherSync) = try await api.call(.get, Self.sync, token: otherDevice)
            #expect(unsigned(otherSync, messageID) != nil)
            #expect(unsigned(otherSync, messageID)?["transaction_id"] == nil)

            let messages = "/_matrix/client/v3/rooms/\(escaped(roomID))/messages?dir=b&limit=10"
            let (_, page) = try await api.call(.get, messages, token: alice)
            let pageMessage = page["chunk"]?.arrayValue?.first { $0["event_id"]?.stringValue == messageID }
            #expect(pageMessage?["unsigned"]?["transaction_id"] == "txn-hello")
            let (_, event) = try await api.call(
                .get, "/_matrix/client/v3/rooms/\(escaped(roomID))/event/\(escaped(messageID))", token: otherDevice
            )
            #expect(event["event_id"]?.stringValue == messageID)
            #expect(event["unsigned"]?["transaction_id"] == nil)
        }
    }

    @Test("long-polls woken by one message share its timeline; only the sending device sees its transaction ID",
          .timeLimit(.minutes(2)))
    func sharedTimelineKeepsTransactionIDs() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            let bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob, body: [:]).status == 200)
            let aliceToken = try #require(try await api.call(.get, Self.sync, token: alice).json["next_batch"]?.stringValue)
            let bobToken = try #require(try await api.call(.get, Self.sync, token: bob).json["next_batch"]?.stringValue)

            async let alicePoll = api.call(.get, "\(Self.sync)?since=\(aliceToken)&timeout=300000", token: alice)
            async let bobPoll = api.call(.get, "\(Self.sync)?since=\(bobToken)&timeout=300000", token: bob)
            try await eventually(within: .seconds(10)) {
                guard api.syncNotifier.waiting == 2 else { throw LongPollNotWaiting() }
            }
            let (_, sent) = try await api.send("together", in: roomID, token: alice, txn: "txn \"shared\"")
            let messageID = try #require(sent["event_id"]?.stringValue)
            func message(_ response: JSONValue) -> JSONValue? {
                response["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?
                    .first { $0["event_id"]?.stringValue == messageID }
            }
            let (aliceStatus, aliceSync) = try await alicePoll
            let (bobStatus, bobSync) = try await bobPoll
            #expect(aliceStatus == 200 && bobStatus == 200)
            #expect(message(aliceSync)?["unsigned"]?["transaction_id"] == "txn \"shared\"")
            #expect(message(bobSync)?["unsigned"]?["transaction_id"] == nil)
            #expect(message(bobSync)?["content"]?["body"] == "together")
            #expect(message(aliceSync)?["content"] == message(bobSync)?["content"])
        }
    }

    @Test("an invite carries stripped state; the join brings the room's state; a leave ends the timeline there",
          .timeLimit(.minutes(2)))
    func inviteJoinLeave() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["name": "Garden"])
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            let (_, bobInitial) = try await api.call(.get, Self.sync, token: bob)
            var token = try #require(bobInitial["next_batch"]?.stringValue)

            #expect(try await api.call(.post, "\(room)/invite", token: alice, body: ["user_id": "@bob:test.local"]).status == 200)
            let (_, invited) = try await api.call(.get, "\(Self.sync)?since=\(token)", token: bob)
            let inviteState = invited["rooms"]?["invite"]?[roomID]?["invite_state"]?["events"]?.arrayValue ?? []
            #expect(inviteState.contains { $0["type"] == "m.room.name" && $0["content"]?["name"] == "Garden" })
            #expect(inviteState.contains { $0["type"] == "m.room.member" && $0["content"]?["membership"] == "invite" })
            token = try #require(invited["next_batch"]?.stringValue)

            #expect(try await api.call(.post, "\(room)/join", token: bob, body: [:]).status == 200)
            let (_, joined) = try await api.call(.get, "\(Self.sync)?since=\(token)", token: bob)
            let joinedRoom = try #require(joined["rooms"]?["join"]?[roomID])
            let state = (joinedRoom["state"]?["events"]?.arrayValue ?? []) + (joinedRoom["timeline"]?["events"]?.arrayValue ?? [])
            #expect(state.contains { $0["type"] == "m.room.create" })
            #expect(joinedRoom["summary"] == ["m.heroes": ["@alice:test.local"], "m.joined_member_count": 2,
                                              "m.invited_member_count": 0])
            token = try #require(joined["next_batch"]?.stringValue)

            _ = try await api.send("while bob is here", in: roomID, token: alice)
            #expect(try await api.call(.post, "\(room)/leave", token: bob, body: [:]).status == 200)
            _ = try await api.send("after bob left", in: roomID, token: alice)
            let (_, left) = try await api.call(.get, "\(Self.sync)?since=\(token)", token: bob)
            #expect(left["rooms"]?["join"]?[roomID] == nil)
            let leftTimeline = left["rooms"]?["leave"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
            #expect(leftTimeline.compactMap { $0["content"]?["body"]?.stringValue } == ["while bob is here"])
            #expect(leftTimeline.last?["content"]?["membership"] == "leave")

            // Someone who rejects an invite never joined: they see their leave and nothing of the room.
            let carol = try await api.register("carol")
            let (_, carolInitial) = try await api.call(.get, Self.sync, token: carol)
            let carolToken = try #require(carolInitial["next_batch"]?.stringValue)
            #expect(try await api.call(.post, "\(room)/invite", token: alice, body: ["user_id": "@carol:test.local"])
                .status == 200)
            #expect(try await api.call(.post, "\(room)/leave", token: carol, body: [:]).status == 200)
            let (_, rejected) = try await api.call(.get, "\(Self.sync)?since=\(carolToken)", token: carol)
            #expect(rejected["rooms"]?["invite"]?[roomID] == nil)
            let rejectedTimeline = rejected["rooms"]?["leave"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
            #expect(rejectedTimeline.map { $0["content"]?["membership"] } == ["leave"])
            #expect(rejectedTimeline.first?["state_key"] == "@carol:test.local")
        }
    }

    @Test("account data and receipts arrive in the next incremental sync", .timeLimit(.minutes(2)))
    func accountDataAndReceipts() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let eventID = try #require(try await api.send("hello", in: roomID, token: alice).1["event_id"]?.stringValue)
            let (_, initial) = try await api.call(.get, Self.sync, token: alice)
            let token = try #require(initial["next_batch"]?.stringValue)

            #expect(try await api.call(.put, "/_matrix/client/v3/user/\(escaped("@alice:test.local"))/account_data/m.example",
                                       token: alice, body: ["answer": 42]).status == 200)
            #expect(try await api.call(.post, "/_matrix/client/v3/rooms/\(escaped(roomID))/receipt/m.read/\(escaped(eventID))",
                                       token: alice, body: [:]).status == 200)
            let (_, next) = try await api.call(.get, "\(Self.sync)?since=\(token)", token: alice)
            let accountData = next["account_data"]?["events"]?.arrayValue ?? []
            #expect(accountData.contains { $0["type"] == "m.example" && $0["content"]?["answer"] == 42 })
            let ephemeral = next["rooms"]?["join"]?[roomID]?["ephemeral"]?["events"]?.arrayValue ?? []
            #expect(ephemeral.first?["content"]?[eventID]?["m.read"]?["@alice:test.local"]?["ts"]?.integerValue != nil)
        }
    }

    @Test("a filter sent as HTML forms encode it (spaces as '+', a literal '+' as %2B) is read", .timeLimit(.minutes(2)))
    func formEncodedFilter() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            _ = try await api.send("a+b", in: roomID, token: alice)
            let filter = "%7B%22room%22:+%7B%22timeline%22:+%7B%22limit%22:+1%7D%7D%7D"
            let (status, body) = try await api.call(.get, "\(Self.sync)?filter=\(filter)", token: alice)
            #expect(status == 200)
            #expect(Self.timelineBodies(body, roomID) == ["a+b"])
            let senders = "%7B%22senders%22:+%5B%22@alice:test.local%22%5D,+%22types%22:+%5B%22m.room.message%22%5D%7D"
            let (_, page) = try await api.call(.get, "/_matrix/client/v3/rooms/\(escaped(roomID))/messages?dir=b&filter=\(senders)",
                                               token: alice)
            #expect(page["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue } == ["a+b"])
        }
    }

    @Test("bad tokens, timeouts, filters and presence values are 400s with the spec's errcodes", .timeLimit(.minutes(2)))
    func badParameters() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await api.register("alice")
            for (query, errcode) in [
                ("since=garbage", "M_INVALID_PARAM"), ("since=s1_x", "M_INVALID_PARAM"), ("timeout=-5", "M_INVALID_PARAM"),
                ("set_presence=busy", "M_INVALID_PARAM"), ("full_state=yes", "M_INVALID_PARAM"),
                ("use_state_after=1", "M_INVALID_PARAM"), ("filter=\(escaped("{bad"))", "M_NOT_JSON"),
                ("filter=\(escaped(#"{"room":{"timeline":{"limit":"ten"}}}"#))", "M_BAD_JSON"),
            ] {
                let (status, body) = try await api.call(.get, "\(Self.sync)?\(query)", token: alice)
                #expect(status == 400, "\(query)")
                #expect(body["errcode"]?.stringValue == errcode, "\(query)")
            }
            #expect(try await api.call(.get, Self.sync).status == 401)
        }
    }
}
