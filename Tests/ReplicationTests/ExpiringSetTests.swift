import Replication
import Testing

@Suite("Expiring sets")
struct ExpiringSetTests {
    @Test("members expire one by one, and the key lives exactly as long as its latest member")
    func expiry() async throws {
        try await withRedisServer { server in
            let connection = server.connect()
            defer { connection.close() }
            let set = ExpiringSet(connection: connection, key: "test:typing")
            let now: Int64 = 1_000_000_000_000_000
            try await set.insert("@short:test", expiresAt: now + 1_000, now: now)
            try await set.insert("@long:test", expiresAt: now + 5_000, now: now)
            #expect(try await set.members(now: now) == ["@short:test", "@long:test"])
            #expect(try await set.members(now: now + 1_000) == ["@long:test"])
            let expireAt = try await connection.send(["PEXPIRETIME", "test:typing"]).integer
            #expect(expireAt == Int(now + 5_000))

            // Refreshing moves the member's expiry; writes prune what expired.
            try await set.insert("@long:test", expiresAt: now + 9_000, now: now + 2_000)
            #expect(try await connection.send(["ZCARD", "test:typing"]).integer == 1)
            #expect(try await connection.send(["PEXPIRETIME", "test:typing"]).integer == Int(now + 9_000))

            try await set.remove("@long:test")
            try await set.remove("@absent:test")
            #expect(try await set.members(now: now).isEmpty)
        }
    }
}
