import Foundation
import HTTPTypes
import HomeserverTesting
import MatrixCore
import Testing

/// Presence through `/presence/{userId}/status` and `/sync`.
@Suite("Presence: status and sync")
struct PresenceRoutesTests {
    static let sync = "/_matrix/client/v3/sync"

    /// A localpart of its own: presence lives in the Redis every test shares, keyed by user ID.
    static func unique(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func presence(of userID: String, in response: JSONValue) -> JSONValue? {
        response["presence"]?["events"]?.arrayValue?.last { $0["sender"]?.stringValue == userID }?["content"]
    }

    @Test("syncing makes a user online for those who share a room; status messages travel; others are refused",
          .timeLimit(.minutes(2)))
    func presence() async throws {
        try await ClientAPITestServer(presenceEnabled: true, servesSync: true).run { api in
            let alice = try await KeyedDevice.register(Self.unique("alice"), on: api)
            let bob = try await KeyedDevice.register(Self.unique("bob"), on: api)
            let carol = try await KeyedDevice.register(Self.unique("carol"), on: api)
            let roomID = try await api.createRoom(token: alice.token, ["invite": .array([.string(bob.userID)])])
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob.token).status == 200)
            let (_, initial) = try await api.call(.get, "\(Self.sync)?set_presence=offline", token: alice.token)
            let start = try #require(initial["next_batch"]?.stringValue)

            _ = try await api.call(.get, Self.sync, token: bob.token)
            let (_, online) = try await api.call(.get, "\(Self.sync)?since=\(start)&set_presence=offline",
                                                 token: alice.token)
            #expect(Self.presence(of: bob.userID, in: online)?["presence"] == "online")
            #expect(Self.presence(of: bob.userID, in: online)?["currently_active"] == true)

            let statusPath = "/_matrix/client/v3/presence/\(escaped(bob.userID))/status"
            #expect(try await api.call(.put, statusPath, token: bob.token,
                                       body: ["presence": "unavailable", "status_msg": "lunch"]).status == 200)
            let next = try #require(online["next_batch"]?.stringValue)
            let (_, away) = try await api.call(.get, "\(Self.sync)?since=\(next)&set_presence=offline", token: alice.token)
            #expect(Self.presence(of: bob.userID, in: away)?["presence"] == "unavailable")
            #expect(Self.presence(of: bob.userID, in: away)?["status_msg"] == "lunch")

            let (_, status) = try await api.call(.get, statusPath, token: alice.token)
            #expect(status["presence"] == "unavailable")
            #expect(status["status_msg"] == "lunch")
            #expect(status["last_active_ago"]?.integerValue != nil)

            // Carol shares no room with bob; nobody sets another's presence; states are the spec's.
            let (refused, refusedError) = try await api.call(.get, statusPath, token: carol.token)
            #expect(refused == 403)
            #expect(refusedError["errcode"] == "M_FORBIDDEN")
            #expect(Self.presence(of: bob.userID, in: try await api.call(.get, Self.sync, token: carol.token).json) == nil)
            #expect(try await api.call(.put, statusPath, token: alice.token, body: ["presence": "online"]).status == 403)
            let (invalid, invalidError) = try await api.call(.put, statusPath, token: bob.token, body: ["presence": "busy"])
            #expect(invalid == 400)
            #expect(invalidError["errcode"] == "M_INVALID_PARAM")

            // A filter can leave presence out.
            let filter = escaped(#"{"presence":{"types":[]}}"#)
            let (_, filtered) = try await api.call(.get, "\(Self.sync)?filter=\(filter)&set_presence=offline",
                                                   token: alice.token)
            #expect(filtered["presence"]?["events"] == [])
        }
    }

    @Test("with presence turned off, everyone reads as offline and /sync carries none", .timeLimit(.minutes(2)))
    func disabled() async throws {
        try await ClientAPITestServer(presenceEnabled: false, servesSync: true).run { api in
            let alice = try await KeyedDevice.register(Self.unique("alice"), on: api)
            let statusPath = "/_matrix/client/v3/presence/\(escaped(alice.userID))/status"
            #expect(try await api.call(.put, statusPath, token: alice.token, body: ["presence": "online"]).status == 200)
            #expect(try await api.call(.get, statusPath, token: alice.token).json == ["presence": "offline"])
            let (_, synced) = try await api.call(.get, Self.sync, token: alice.token)
            #expect(synced["presence"]?["events"] == [])
        }
    }
}
