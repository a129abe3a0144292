import HTTPTypes
import HomeserverTesting
import MatrixCore
import Testing

/// `/sync` filters beyond the timeline, and the `knock` section.
@Suite("Sync: state, ephemeral and account data filters; knocks")
struct SyncFilterTests {
    static let sync = "/_matrix/client/v3/sync"

    static func types(_ events: JSONValue?) -> [String] {
        events?["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
    }

    @Test("state, ephemeral and account data filters keep only the types they allow", .timeLimit(.minutes(2)))
    func filters() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let roomID = try await api.createRoom(token: alice.token, ["name": "Filtered"])
            let (_, sent) = try await api.send("hello", in: roomID, token: alice.token)
            let eventID = try #require(sent["event_id"]?.stringValue)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            let user = "/_matrix/client/v3/user/\(escaped(alice.userID))"
            for type in ["a.kept", "c.dropped"] {
                #expect(try await api.call(.put, "\(user)/rooms/\(escaped(roomID))/account_data/\(type)",
                                           token: alice.token, body: ["x": 1]).status == 200)
            }
            #expect(try await api.call(.put, "\(user)/account_data/g.global", token: alice.token, body: ["x": 1])
                .status == 200)
            #expect(try await api.call(.post, "\(room)/receipt/m.read/\(escaped(eventID))", token: alice.token,
                                       body: [:]).status == 200)
            #expect(try await api.call(.put, "\(room)/typing/\(escaped(alice.userID))", token: alice.token,
                                       body: ["typing": true, "timeout": 30000]).status == 200)

            let (_, unfiltered) = try await api.call(.get, Self.sync, token: alice.token)
            let full = try #require(unfiltered["rooms"]?["join"]?[roomID])
            #expect(Set(Self.types(full["ephemeral"])) == ["m.typing", "m.receipt"])
            #expect(Self.types(unfiltered["account_data"]).contains("g.global"))

            let filter = escaped("""
                {"room":{"timeline":{"limit":1},"state":{"types":["m.room.n*"]},"ephemeral":{"not_types":["m.typing"]},
                 "account_data":{"not_types":["c.*"]}},"account_data":{"types":[]}}
                """)
            let (_, filtered) = try await api.call(.get, "\(Self.sync)?filter=\(filter)", token: alice.token)
            let entry = try #require(filtered["rooms"]?["join"]?[roomID])
            #expect(Self.types(entry["state"]) == ["m.room.name"])
            #expect(Self.types(entry["ephemeral"]) == ["m.receipt"])
            #expect(Self.types(entry["account_data"]) == ["a.kept"])
            #expect(Self.types(filtered["account_data"]) == [])
        }
    }

    @Test("a knock shows in the knock section with the room's stripped state", .timeLimit(.minutes(2)))
    func knock() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            let roomID = try await api.createRoom(token: alice.token, [
                "name": "Door", "initial_state": [["type": "m.room.join_rules", "state_key": "", "content": ["join_rule": "knock"]]],
            ])
            let (_, before) = try await api.call(.get, Self.sync, token: bob.token)
            let start = try #require(before["next_batch"]?.stringValue)
            #expect(try await api.call(.post, "/_matrix/client/v3/knock/\(escaped(roomID))", token: bob.token,
                                       body: ["reason": "let me in"]).status == 200)
            let (_, after) = try await api.call(.get, "\(Self.sync)?since=\(start)", token: bob.token)
            let events = try #require(after["rooms"]?["knock"]?[roomID]?["knock_state"]?["events"]?.arrayValue)
            #expect(events.last?["content"]?["membership"] == "knock")
            #expect(events.last?["state_key"] == .string(bob.userID))
            #expect(events.contains { $0["type"] == "m.room.name" && $0["content"]?["name"] == "Door" })
            #expect(after["rooms"]?["join"]?[roomID] == nil)

            // Turned away, bob sees his membership and nothing of the room's history.
            _ = try await api.send("private words", in: roomID, token: alice.token)
            let next = try #require(after["next_batch"]?.stringValue)
            #expect(try await api.call(.post, "/_matrix/client/v3/rooms/\(escaped(roomID))/kick", token: alice.token,
                                       body: ["user_id": .string(bob.userID)]).status == 200)
            let (_, denied) = try await api.call(.get, "\(Self.sync)?since=\(next)", token: bob.token)
            let timeline = try #require(denied["rooms"]?["leave"]?[roomID]?["timeline"]?["events"]?.arrayValue)
            #expect(timeline.count == 1)
            #expect(timeline.first?["content"]?["membership"] == "leave")
        }
    }
}
