import Foundation
import HTTPTypes
import MatrixCore
import Replication
import Testing

@Suite("Typing: held in Redis with a capped timeout, announced on the typing stream")
struct TypingRoutesTests {
    @Test("typing adds the user with a capped expiry; stopping removes them; both are announced",
          .timeLimit(.minutes(2)))
    func startAndStop() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let path = "/_matrix/client/v3/rooms/\(escaped(roomID))/typing/@alice:test.local"
            let key = "trellis:typing:room:\(roomID)"
            var entries = try await api.entries(of: .typing)

            #expect(try await api.call(.put, path, token: alice, body: ["typing": true, "timeout": 600_000]).status == 200)
            let members = try await api.redis.send(["ZRANGE", key, "0", "-1", "WITHSCORES"]).array ?? []
            #expect(members.first?.string == "@alice:test.local")
            let expiresAt = try #require(members.last?.string.flatMap(Int64.init))
            let remaining = expiresAt - Int64(Date().timeIntervalSince1970 * 1000)
            #expect(remaining > 0 && remaining <= 30_000, "expiry must be capped at 30 s, got \(remaining) ms")
            #expect(try #require(try await entries.next { $0["room_id"] == roomID }) == ["room_id": roomID])

            // Stopping removes the user and is announced.
            #expect(try await api.call(.put, path, token: alice, body: ["typing": false]).status == 200)
            #expect(try await api.redis.send(["ZRANGE", key, "0", "-1"]).array?.isEmpty == true)
            #expect(try await entries.next { $0["room_id"] == roomID } != nil)
        }
    }

    @Test("typing for someone else or in a room one has not joined is 403; bad bodies are 400",
          .timeLimit(.minutes(2)))
    func refused() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))/typing"
            let (other, otherBody) = try await api.call(.put, "\(room)/@alice:test.local", token: bob,
                                                        body: ["typing": true, "timeout": 1000])
            #expect(other == 403)
            #expect(otherBody["errcode"]?.stringValue == "M_FORBIDDEN")
            let (notJoined, _) = try await api.call(.put, "\(room)/@bob:test.local", token: bob,
                                                    body: ["typing": true, "timeout": 1000])
            #expect(notJoined == 403)

            let (missing, missingBody) = try await api.call(.put, "\(room)/@alice:test.local", token: alice,
                                                            body: ["timeout": 1000])
            #expect(missing == 400)
            #expect(missingBody["errcode"]?.stringValue == "M_MISSING_PARAM")
            let (wrongType, wrongTypeBody) = try await api.call(.put, "\(room)/@alice:test.local", token: alice,
                                                                body: ["typing": "yes"])
            #expect(wrongType == 400)
            #expect(wrongTypeBody["errcode"]?.stringValue == "M_BAD_JSON")
            let (negative, negativeBody) = try await api.call(.put, "\(room)/@alice:test.local", token: alice,
                                                              body: ["typing": true, "timeout": -5])
            #expect(negative == 400)
            #expect(negativeBody["errcode"]?.stringValue == "M_INVALID_PARAM")
            #expect(try await api.redis.send(["EXISTS", "trellis:typing:room:\(roomID)"]).integer == 0)
        }
    }
}
