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
            let key = "trellis:typing:\(roomID)"
            var entries = try await api.entries(of: .typing)

            #expect(try await api.call(.put, path, token: alice, body: ["typing": true, "timeout": 600_000]).status == 200)
            let members = try await api.redis.send(["ZRANGE", key, "0", "-1"])
            #expect(members.array?.compactMap(\.string) == ["@alice:test.local"])
            let ttl = try #require(try await api.redis.send(["PTTL", key]).integer)
            #expect(ttl > 0 && ttl <= 30_000, "expiry must be capped at 30 s, got \(ttl) ms")
            let started = try #require(try await entries.next { $0["room_id"] == roomID })
            #expect(started["user_id"] == "@alice:test.local")
            #expect(started["typing"] == "true")
            #expect(started["timeout_ms"] == "30000")

            #expect(try await api.call(.put, path, token: alice, body: ["typing": false]).status == 200)
            #expect(try await api.redis.send(["ZRANGE", key, "0", "-1"]).array?.isEmpty == true)
            let stopped = try #require(try await entries.next { $0["room_id"] == roomID })
            #expect(stopped["typing"] == "false")
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
            #expect(try await api.redis.send(["EXISTS", "trellis:typing:\(roomID)"]).integer == 0)
        }
    }
}
