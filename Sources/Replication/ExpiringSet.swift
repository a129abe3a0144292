/// Sets in Redis whose members expire one by one: ephemeral state such as who is typing in a room.
///
/// Each set is a sorted set scored by each member's expiry time (milliseconds since the epoch).
/// Reads skip expired members, writes prune them, and the key itself expires with its last member,
/// so nothing outlives its timeout even when no one removes it. Redis is the only copy: this is
/// for data that may be lost (DESIGN.md invariant 2), never for anything PostgreSQL must hold.
public struct ExpiringSet: Sendable {
    public let connection: RedisConnection
    /// The Redis key of the set.
    public let key: String

    public init(connection: RedisConnection, key: String) {
        self.connection = connection
        self.key = key
    }

    /// Adds `member`, or moves its expiry, to `expiresAt`; drops members expired at `now`; keeps
    /// the key until its latest expiry. One atomic script, safe to repeat after a lost reply.
    public func insert(_ member: String, expiresAt: Int64, now: Int64) async throws {
        try await connection.send(
            ["EVAL", Self.insertScript, "1", key, String(expiresAt), member, String(now)],
            retryOnReconnect: true
        )
    }

    /// Removes `member`; nothing happens when it is absent.
    public func remove(_ member: String) async throws {
        try await connection.send(["ZREM", key, member], retryOnReconnect: true)
    }

    /// The members that have not expired at `now`, soonest expiry first.
    public func members(now: Int64) async throws -> [String] {
        let reply = try await connection.send(["ZRANGE", key, "(\(now)", "+inf", "BYSCORE"])
        guard let items = reply.array else { throw StreamReply.unexpected(reply) }
        return try items.map { item in
            guard let member = item.string else { throw StreamReply.unexpected(item) }
            return member
        }
    }

    /// `KEYS[1]` the set; `ARGV` expiry, member, now. The key's expiry becomes its highest score.
    private static let insertScript = """
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
        local latest = redis.call('ZRANGE', KEYS[1], 0, 0, 'REV', 'WITHSCORES')
        if latest[2] then redis.call('PEXPIREAT', KEYS[1], latest[2]) end
        return 1
        """
}
