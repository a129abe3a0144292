/// Who is typing in each room, held in Redis only: ephemeral state that may be lost (DESIGN.md
/// invariant 2 allows it for typing, never for anything PostgreSQL must hold).
///
/// Each change to a room's typing users takes a position of a counter, and the room records the
/// position of its last change, so a sync token's typing position says which rooms changed after
/// it. Typing ends when the client says so or when its timeout passes: ``expire(now:)``, which a
/// sync worker runs periodically, turns the timeouts into changes. Every script is atomic, so
/// several writers and expirers never double-count a change.
///
/// Keys: `trellis:typing:room:<room ID>` (a sorted set of users scored by their expiry, ms since
/// the epoch), `trellis:typing:expiries` (every pending expiry, `<room ID> <user ID>`),
/// `trellis:typing:position` (the counter) and `trellis:typing:changed` (room ID → position).
public struct TypingRegistry: Sendable {
    public let connection: RedisConnection

    static let roomKeyPrefix = "trellis:typing:room:"
    static let expiriesKey = "trellis:typing:expiries"
    static let positionKey = "trellis:typing:position"
    static let changedKey = "trellis:typing:changed"

    /// What one read of some rooms' typing users found.
    public struct Snapshot: Sendable, Equatable {
        /// The counter's position when read: the typing position of the next sync token.
        public var position: Int64
        /// The users typing in each room that changed after the position asked about.
        public var typing: [String: [String]]

        public init(position: Int64, typing: [String: [String]]) {
            self.position = position
            self.typing = typing
        }
    }

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    /// `userID` types in `roomID` until `expiresAt` (refreshing an earlier start). Returns the
    /// change's position, or `nil` when the user was already typing there.
    public func start(_ userID: String, in roomID: String, expiresAt: Int64, now: Int64) async throws -> Int64? {
        try await change(Self.startScript, userID, roomID, [String(expiresAt), String(now)])
    }

    /// `userID` stops typing in `roomID`. Returns the change's position, or `nil` when the user
    /// was not typing there (or their typing's expiry was already recorded as a change).
    public func stop(_ userID: String, in roomID: String) async throws -> Int64? {
        try await change(Self.stopScript, userID, roomID, [])
    }

    /// The counter's position.
    public func position() async throws -> Int64 {
        try await CounterReply.read(Self.positionKey, on: connection)
    }

    /// Ends every typing whose timeout passed by `now`; returns the rooms that changed.
    public func expire(now: Int64) async throws -> [String] {
        let reply = try await connection.send(
            ["EVAL", Self.expireScript, "3", Self.expiriesKey, Self.positionKey, Self.changedKey,
             String(now), Self.roomKeyPrefix],
            retryOnReconnect: true
        )
        guard let rooms = reply.array else { throw StreamReply.unexpected(reply) }
        return try CounterReply.strings(rooms, of: reply)
    }

    /// The typing users, at `now`, of those of `roomIDs` whose typing changed after `position`.
    /// A position ahead of the counter (Redis lost its data) reads as 0: everything.
    public func snapshot(of roomIDs: [String], after position: Int64, now: Int64) async throws -> Snapshot {
        let reply = try await connection.send(
            ["EVAL", Self.snapshotScript, "2", Self.positionKey, Self.changedKey, String(position), String(now),
             Self.roomKeyPrefix] + roomIDs,
            retryOnReconnect: true
        )
        let parsed = try CounterReply(reply)
        var typing: [String: [String]] = [:]
        for (roomID, users) in parsed.entries { typing[roomID] = try CounterReply.strings(users, of: reply) }
        return Snapshot(position: parsed.position, typing: typing)
    }

    private func change(_ script: String, _ userID: String, _ roomID: String, _ arguments: [String]) async throws
        -> Int64? {
        let reply = try await connection.send(
            ["EVAL", script, "4", Self.roomKeyPrefix + roomID, Self.expiriesKey, Self.positionKey, Self.changedKey,
             userID, roomID] + arguments,
            retryOnReconnect: true
        )
        return reply.integer.map(Int64.init)
    }

    /// Bumps the counter and records it as the room's last change (`KEYS[3]`, `KEYS[4]`, room `ARGV[2]`).
    private static let recordChange = """
        local position = redis.call('INCR', KEYS[3])
        redis.call('HSET', KEYS[4], ARGV[2], position)
        return position
        """

    /// `KEYS` room set, expiries, counter, changes; `ARGV` user, room, expiry, now.
    private static let startScript = """
        local previous = redis.call('ZSCORE', KEYS[1], ARGV[1])
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2] .. ' ' .. ARGV[1])
        if previous and tonumber(previous) > tonumber(ARGV[4]) then return false end
        """ + "\n" + recordChange

    /// `KEYS` room set, expiries, counter, changes; `ARGV` user, room. A typing past its timeout
    /// that the expirer has not reached yet is still a change to record.
    private static let stopScript = """
        local previous = redis.call('ZSCORE', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[2] .. ' ' .. ARGV[1])
        if not previous then return false end
        """ + "\n" + recordChange

    /// `KEYS` expiries, counter, changes; `ARGV` now, room key prefix. Returns the changed rooms.
    private static let expireScript = """
        local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE')
        if #due == 0 then return {} end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
        local changed, rooms = {}, {}
        for _, entry in ipairs(due) do
            local space = string.find(entry, ' ', 1, true)
            local room, user = string.sub(entry, 1, space - 1), string.sub(entry, space + 1)
            local score = redis.call('ZSCORE', ARGV[2] .. room, user)
            if score and tonumber(score) <= tonumber(ARGV[1]) then
                redis.call('ZREM', ARGV[2] .. room, user)
                if not changed[room] then
                    changed[room] = true
                    table.insert(rooms, room)
                end
            end
        end
        if #rooms > 0 then
            local position = redis.call('INCR', KEYS[2])
            for _, room in ipairs(rooms) do redis.call('HSET', KEYS[3], room, position) end
        end
        return rooms
        """

    /// `KEYS` counter, changes; `ARGV` after, now, room key prefix, room IDs…
    /// Returns the counter, then each changed room and its typing users.
    private static let snapshotScript = CounterReply.scriptPrelude + """
        for index = 4, #ARGV do
            local changedAt = tonumber(redis.call('HGET', KEYS[2], ARGV[index]) or '0')
            if changedAt > after then
                table.insert(result, ARGV[index])
                table.insert(result, redis.call('ZRANGE', ARGV[3] .. ARGV[index], '(' .. ARGV[2], '+inf', 'BYSCORE'))
            end
        end
        return result
        """
}
