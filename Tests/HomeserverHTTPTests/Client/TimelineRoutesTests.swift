import Foundation
import HTTPTypes
import MatrixCore
import Testing

@Suite("Timelines: filters, lazy-loaded members, context, members at a point")
struct TimelineRoutesTests {
    @Test("/messages filters by type and sender and lazy-loads the senders' member events", .timeLimit(.minutes(2)))
    func filteredMessages() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            #expect(try await api.call(.post, "\(room)/join", token: bob, body: [:]).status == 200)
            _ = try await api.send("alice 1", in: roomID, token: alice)
            _ = try await api.send("bob 1", in: roomID, token: bob)
            _ = try await api.call(.put, "\(room)/send/m.reaction/r1", token: bob, body: ["emoji": "👍"])

            let filter = escaped(#"{"types":["m.room.mess*"],"not_senders":["@alice:test.local"],"lazy_load_members":true}"#)
            let (status, page) = try await api.call(.get, "\(room)/messages?dir=b&limit=10&filter=\(filter)", token: alice)
            #expect(status == 200)
            #expect(page["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue } == ["bob 1"])
            #expect(page["state"]?.arrayValue?.map { $0["state_key"]?.stringValue } == ["@bob:test.local"])

            let (bad, badBody) = try await api.call(.get, "\(room)/messages?filter=\(escaped("{not json"))", token: alice)
            #expect(bad == 400)
            #expect(badBody["errcode"]?.stringValue == "M_NOT_JSON")
            let (wrongType, wrongBody) = try await api.call(.get, "\(room)/messages?filter=\(escaped(#"{"types":"m.room.message"}"#))",
                                                            token: alice)
            #expect(wrongType == 400)
            #expect(wrongBody["errcode"]?.stringValue == "M_BAD_JSON")
        }
    }

    @Test("/context returns the events around one, with tokens that /messages continues from", .timeLimit(.minutes(2)))
    func eventContext() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            var ids: [String] = []
            for index in 1...7 {
                ids.append(try #require(try await api.send("m\(index)", in: roomID, token: alice).1["event_id"]?.stringValue))
            }
            let (status, context) = try await api.call(.get, "\(room)/context/\(escaped(ids[3]))?limit=4", token: alice)
            #expect(status == 200)
            #expect(context["event"]?["event_id"]?.stringValue == ids[3])
            #expect(context["events_before"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } == [ids[2], ids[1]])
            #expect(context["events_after"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } == [ids[4], ids[5]])
            #expect(context["state"]?.arrayValue?.contains { $0["type"]?.stringValue == "m.room.create" } == true)

            let end = try #require(context["end"]?.stringValue)
            let (_, after) = try await api.call(.get, "\(room)/messages?dir=f&from=\(end)", token: alice)
            #expect(after["chunk"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } == [ids[6]])
            let start = try #require(context["start"]?.stringValue)
            let (_, before) = try await api.call(.get, "\(room)/messages?dir=b&limit=1&from=\(start)", token: alice)
            #expect(before["chunk"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } == [ids[0]])
            #expect(try await api.call(.get, "\(room)/context/\(escaped("$missing"))", token: alice).status == 404)
        }
    }

    @Test("/members?at= gives the membership as it was at that point", .timeLimit(.minutes(2)))
    func membersAt() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice, ["preset": "public_chat"])
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            let (_, before) = try await api.call(.get, "\(room)/messages?dir=b&limit=1", token: alice)
            let point = try #require(before["start"]?.stringValue)
            #expect(try await api.call(.post, "\(room)/join", token: bob, body: [:]).status == 200)

            let (_, then) = try await api.call(.get, "\(room)/members?at=\(point)", token: alice)
            #expect(then["chunk"]?.arrayValue?.compactMap { $0["state_key"]?.stringValue } == ["@alice:test.local"])
            let (_, now) = try await api.call(.get, "\(room)/members", token: alice)
            #expect(Set(now["chunk"]?.arrayValue?.compactMap { $0["state_key"]?.stringValue } ?? [])
                    == ["@alice:test.local", "@bob:test.local"])
        }
    }
}
