import Replication
import Testing

@Suite("Typing registry")
struct TypingRegistryTests {
    static let now: Int64 = 1_000_000_000_000

    @Test("starts and stops take positions only when the room's typing users change; rooms report their last change")
    func positions() async throws {
        try await withRedisServer { server in
            let connection = server.connect()
            defer { connection.close() }
            let registry = TypingRegistry(connection: connection)
            let now = Self.now
            let first = try #require(try await registry.start("@a:test", in: "!r:test", expiresAt: now + 1_000, now: now))
            #expect(try await registry.start("@a:test", in: "!r:test", expiresAt: now + 5_000, now: now) == nil)
            let second = try #require(try await registry.start("@b:test", in: "!s:test", expiresAt: now + 1_000, now: now))
            #expect(second > first)

            let all = try await registry.snapshot(of: ["!r:test", "!s:test", "!quiet:test"], after: 0, now: now)
            #expect(all == TypingRegistry.Snapshot(position: second,
                                                   typing: ["!r:test": ["@a:test"], "!s:test": ["@b:test"]]))
            let later = try await registry.snapshot(of: ["!r:test", "!s:test"], after: first, now: now)
            #expect(later.typing == ["!s:test": ["@b:test"]])

            let stop = try #require(try await registry.stop("@a:test", in: "!r:test"))
            #expect(try await registry.stop("@a:test", in: "!r:test") == nil)
            #expect(try await registry.snapshot(of: ["!r:test", "!s:test"], after: second, now: now)
                == TypingRegistry.Snapshot(position: stop, typing: ["!r:test": []]))

            // A token from before Redis lost its data (ahead of the counter) reads everything.
            #expect(try await registry.snapshot(of: ["!s:test"], after: stop + 100, now: now).typing
                == ["!s:test": ["@b:test"]])
        }
    }

    @Test("a typing past its timeout reads as stopped, and expiring it is one change, found by one expirer")
    func expiry() async throws {
        try await withRedisServer { server in
            let connection = server.connect()
            defer { connection.close() }
            let registry = TypingRegistry(connection: connection)
            let now = Self.now
            _ = try await registry.start("@a:test", in: "!r:test", expiresAt: now + 1_000, now: now)
            _ = try await registry.start("@b:test", in: "!r:test", expiresAt: now + 9_000, now: now)
            let before = try await registry.snapshot(of: ["!r:test"], after: 0, now: now + 1_000)
            #expect(before.typing == ["!r:test": ["@b:test"]])

            #expect(try await registry.expire(now: now + 999).isEmpty)
            #expect(try await registry.expire(now: now + 1_000) == ["!r:test"])
            #expect(try await registry.expire(now: now + 1_000).isEmpty)
            let after = try await registry.snapshot(of: ["!r:test"], after: before.position, now: now + 1_000)
            #expect(after.position > before.position)
            #expect(after.typing == ["!r:test": ["@b:test"]])

            // Stopping a typing past its timeout before the expirer reached it is still a change.
            _ = try await registry.start("@c:test", in: "!t:test", expiresAt: now + 1_000, now: now)
            #expect(try await registry.stop("@c:test", in: "!t:test") != nil)
            #expect(try await registry.expire(now: now + 5_000).isEmpty)

            // A refreshed typing does not expire at its first timeout.
            _ = try await registry.start("@b:test", in: "!r:test", expiresAt: now + 20_000, now: now + 2_000)
            #expect(try await registry.expire(now: now + 9_000).isEmpty)
            #expect(try await registry.expire(now: now + 20_000) == ["!r:test"])
        }
    }
}
