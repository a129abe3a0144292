import Foundation
import HTTPTypes
import MatrixCore
import Testing

@Suite("Rate limits shared through Redis")
struct RateLimitTests {
    @Test("a user over the message burst gets 429 M_LIMIT_EXCEEDED with retry_after_ms; others are unaffected",
          .timeLimit(.minutes(2)))
    func messageBurst() async throws {
        let server = ClientAPITestServer(rateLimits: "{ message: { per_second: 0.001, burst_count: 3 }, registration: null, login: null, joins: null }")
        try await server.run { api in
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let alice = try await api.register("alice\(suffix)"), bob = try await api.register("bob\(suffix)")
            let roomID = try await api.createRoom(token: alice)  // takes one of alice's three tokens
            #expect(try await api.send("one", in: roomID, token: alice).0 == 200)
            #expect(try await api.send("two", in: roomID, token: alice).0 == 200)
            let (limited, body) = try await api.send("three", in: roomID, token: alice)
            #expect(limited == 429)
            #expect(body["errcode"]?.stringValue == "M_LIMIT_EXCEEDED")
            #expect((body["retry_after_ms"]?.integerValue ?? 0) > 0)
            #expect(try await api.createRoom(token: bob).hasPrefix("!"))
        }
    }

    @Test("registrations from one address are limited", .timeLimit(.minutes(2)))
    func registrationBurst() async throws {
        let server = ClientAPITestServer(rateLimits: "{ message: null, registration: { per_second: 0.001, burst_count: 2 }, login: null, joins: null }")
        try await server.run { api in
            // Unique per run: the buckets live in the shared test Redis and refill slowly.
            let address = "2001:db8::\(String(UInt16.random(in: 1...UInt16.max), radix: 16)):\(String(UInt16.random(in: 1...UInt16.max), radix: 16))"
            var statuses: [Int] = []
            for index in 0..<3 {
                let (status, _) = try await api.call(.post, "/_matrix/client/v3/register", body: [
                    "username": .string("user\(index)\(UUID().uuidString.prefix(6).lowercased())"),
                    "password": "long enough password", "auth": ["type": "m.login.dummy"],
                ], headers: [HTTPField.Name("X-Forwarded-For")!: "198.51.100.\(index), \(address)"])
                statuses.append(status)
            }
            #expect(statuses == [200, 200, 429])
        }
    }
}
