import Replication
import Testing

@Suite("Presence registry")
struct PresenceRegistryTests {
    static let now: Int64 = 1_000_000_000_000
    static let timeouts = PresenceRegistry.Timeouts(idleMilliseconds: 300_000)

    @Test("changes of presence or status take positions; activity alone does not; changes list what moved")
    func changes() async throws {
        try await withRedisServer { server in
            let connection = server.connect()
            defer { connection.close() }
            let registry = PresenceRegistry(connection: connection)
            let now = Self.now
            let online = PresenceRegistry.Update(presence: "online", isActive: true, offlineAt: now + 30_000)
            let first = try #require(try await registry.apply(online, to: "@a:test", now: now, timeouts: Self.timeouts))
            #expect(try await registry.apply(online, to: "@a:test", now: now + 1_000, timeouts: Self.timeouts) == nil)
            let status = PresenceRegistry.Update(statusMessage: .some("lunch"))
            let second = try #require(try await registry.apply(status, to: "@a:test", now: now, timeouts: Self.timeouts))
            _ = try await registry.apply(online, to: "@b:test", now: now, timeouts: Self.timeouts)

            let all = try await registry.changes(after: 0)
            #expect(all.changed.map(\.userID).sorted() == ["@a:test", "@b:test"])
            let a = try #require(all.changed.first { $0.userID == "@a:test" })
            #expect(a == PresenceRegistry.Presence(userID: "@a:test", presence: "online", statusMessage: "lunch",
                                                   lastActive: now + 1_000))
            #expect(try await registry.changes(after: second).changed.map(\.userID) == ["@b:test"])
            #expect(second > first)
            #expect(try await registry.position() == all.position)
            #expect(try await registry.presence(of: "@nobody:test") == nil)
        }
    }

    @Test("an idle online user becomes unavailable, and goes offline when their syncs stop")
    func timeouts() async throws {
        try await withRedisServer { server in
            let connection = server.connect()
            defer { connection.close() }
            let registry = PresenceRegistry(connection: connection)
            let now = Self.now
            // Syncing keeps the user online for 10 minutes; their last activity was now.
            let syncing = PresenceRegistry.Update(presence: "online", isActive: true, offlineAt: now + 600_000)
            _ = try await registry.apply(syncing, to: "@a:test", now: now, timeouts: Self.timeouts)

            #expect(try await registry.expire(now: now + 299_999, timeouts: Self.timeouts).isEmpty)
            #expect(try await registry.expire(now: now + 300_000, timeouts: Self.timeouts) == ["@a:test"])
            #expect(try await registry.presence(of: "@a:test")?.presence == "unavailable")
            #expect(try await registry.expire(now: now + 500_000, timeouts: Self.timeouts).isEmpty)
            #expect(try await registry.expire(now: now + 600_000, timeouts: Self.timeouts) == ["@a:test"])
            #expect(try await registry.presence(of: "@a:test")?.presence == "offline")
            #expect(try await registry.expire(now: now + 900_000, timeouts: Self.timeouts).isEmpty)
        }
    }
}
