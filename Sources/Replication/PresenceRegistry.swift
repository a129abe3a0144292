/// Users' presence (online, unavailable, offline), held in Redis only: ephemeral state that may
/// be lost (DESIGN.md invariant 2 allows it for presence).
///
/// Each user's presence is a hash that expires a week after its last update. A change of
/// presence or status message takes a position of a counter and is recorded as the user's last
/// change, so a sync token's presence position says whose presence changed after it. Presence
/// also changes by itself: an online user idle for ``Timeouts/idleMilliseconds`` becomes
/// unavailable, and a user who stops syncing goes offline at the time their last sync set.
/// ``expire(now:timeouts:)``, which the sync workers run periodically, makes those changes.
///
/// Keys: `trellis:presence:user:<user ID>` (fields `presence`, `status_msg`, `last_active`,
/// `offline_at`), `trellis:presence:position` (the counter), `trellis:presence:changes` (user →
/// position of their last change) and `trellis:presence:timeouts` (user → time of their next
/// automatic change).
public struct PresenceRegistry: Sendable {
    public let connection: RedisConnection

    static let userKeyPrefix = "trellis:presence:user:"
    static let positionKey = "trellis:presence:position"
    static let changesKey = "trellis:presence:changes"
    static let timeoutsKey = "trellis:presence:timeouts"

    /// How long presence lasts without updates.
    public struct Timeouts: Sendable {
        /// After this long without activity an online user is unavailable.
        public var idleMilliseconds: Int64

        public init(idleMilliseconds: Int64) {
            self.idleMilliseconds = idleMilliseconds
        }
    }

    /// One user's presence as stored.
    public struct Presence: Sendable, Equatable {
        public var userID: String
        /// `online`, `unavailable` or `offline`.
        public var presence: String
        public var statusMessage: String?
        /// When the user was last active, in milliseconds since the epoch.
        public var lastActive: Int64?

        public init(userID: String, presence: String, statusMessage: String?, lastActive: Int64?) {
            self.userID = userID
            self.presence = presence
            self.statusMessage = statusMessage
            self.lastActive = lastActive
        }
    }

    /// An update of one user's presence; `nil` fields keep their stored value.
    public struct Update: Sendable {
        public var presence: String?
        /// `.some(nil)` clears the status message.
        public var statusMessage: String??
        /// Whether the user was active now (moves `last_active`).
        public var isActive: Bool
        /// When the user goes offline unless updated again.
        public var offlineAt: Int64?

        public init(presence: String? = nil, statusMessage: String?? = nil, isActive: Bool = false,
                    offlineAt: Int64? = nil) {
            self.presence = presence
            self.statusMessage = statusMessage
            self.isActive = isActive
            self.offlineAt = offlineAt
        }
    }

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    /// Applies `update` to `userID`'s presence at `now`. Returns the change's position, or `nil`
    /// when neither the presence nor the status message changed.
    public func apply(_ update: Update, to userID: String, now: Int64, timeouts: Timeouts) async throws -> Int64? {
        let status: [String] = switch update.statusMessage {
        case nil: ["keep", ""]
        case .some(nil): ["clear", ""]
        case .some(.some(let message)): ["set", message]
        }
        let reply = try await connection.send(
            ["EVAL", Self.applyScript, "4", Self.userKeyPrefix + userID, Self.positionKey, Self.changesKey,
             Self.timeoutsKey, userID, String(now), update.presence ?? "", status[0], status[1],
             update.isActive ? "1" : "0", update.offlineAt.map(String.init) ?? "", String(timeouts.idleMilliseconds)],
            retryOnReconnect: true
        )
        return reply.integer.map(Int64.init)
    }

    /// Makes the automatic changes due by `now`; returns the users whose presence changed.
    public func expire(now: Int64, timeouts: Timeouts) async throws -> [String] {
        let reply = try await connection.send(
            ["EVAL", Self.expireScript, "3", Self.positionKey, Self.changesKey, Self.timeoutsKey, String(now),
             Self.userKeyPrefix, String(timeouts.idleMilliseconds)],
            retryOnReconnect: true
        )
        guard let users = reply.array else { throw StreamReply.unexpected(reply) }
        return try CounterReply.strings(users, of: reply)
    }

    /// The counter's position.
    public func position() async throws -> Int64 {
        try await CounterReply.read(Self.positionKey, on: connection)
    }

    /// One user's stored presence; `nil` when none is stored (offline).
    public func presence(of userID: String) async throws -> Presence? {
        let reply = try await connection.send(
            ["HMGET", Self.userKeyPrefix + userID, "presence", "status_msg", "last_active"], retryOnReconnect: true
        )
        guard let fields = reply.array, fields.count == 3 else { throw StreamReply.unexpected(reply) }
        return Self.presence(userID, fields)
    }

    /// The counter's position, and the presence of every user whose presence changed after
    /// `position` (everyone with a stored presence when it is 0, or ahead of the counter).
    public func changes(after position: Int64) async throws -> (position: Int64, changed: [Presence]) {
        let reply = try await connection.send(
            ["EVAL", Self.changesScript, "2", Self.positionKey, Self.changesKey, String(position), Self.userKeyPrefix],
            retryOnReconnect: true
        )
        let parsed = try CounterReply(reply)
        var changed: [Presence] = []
        for (userID, fields) in parsed.entries {
            guard fields.count == 3 else { throw StreamReply.unexpected(reply) }
            if let presence = Self.presence(userID, fields) { changed.append(presence) }
        }
        return (parsed.position, changed)
    }

    private static func presence(_ userID: String, _ fields: [RedisValue]) -> Presence? {
        guard let presence = fields[0].string else { return nil }
        let status = fields[1].string
        return Presence(userID: userID, presence: presence, statusMessage: status?.isEmpty == false ? status : nil,
                        lastActive: fields[2].string.flatMap(Int64.init))
    }

    /// Schedules the user's next automatic change (`KEYS[4]` timeouts; the hash `KEYS[1]`) from
    /// their presence, `last_active` and `offline_at`; `idle` in milliseconds.
    private static let schedule = """
        local function schedule(hash, timeouts, user, presence, idle)
            if presence == 'offline' then
                redis.call('ZREM', timeouts, user)
                return
            end
            local offlineAt = tonumber(redis.call('HGET', hash, 'offline_at') or '0')
            local nextChange = offlineAt
            if presence == 'online' then
                local idleAt = tonumber(redis.call('HGET', hash, 'last_active') or '0') + idle
                if idleAt < nextChange then nextChange = idleAt end
            end
            redis.call('ZADD', timeouts, nextChange, user)
        end
        """

    /// `KEYS` hash, counter, changes, timeouts; `ARGV` user, now, presence or '', status mode
    /// (keep, clear, set), status, active (1/0), offline_at or '', idle milliseconds.
    private static let applyScript = schedule + """

        local old = redis.call('HGET', KEYS[1], 'presence') or 'offline'
        local oldStatus = redis.call('HGET', KEYS[1], 'status_msg') or ''
        local presence = ARGV[3] ~= '' and ARGV[3] or old
        local status = oldStatus
        if ARGV[4] == 'set' then status = ARGV[5] elseif ARGV[4] == 'clear' then status = '' end
        redis.call('HSET', KEYS[1], 'presence', presence, 'status_msg', status)
        if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'last_active', ARGV[2]) end
        if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'offline_at', ARGV[7]) end
        redis.call('PEXPIRE', KEYS[1], 604800000)
        schedule(KEYS[1], KEYS[4], ARGV[1], presence, tonumber(ARGV[8]))
        if presence == old and status == oldStatus then return false end
        local position = redis.call('INCR', KEYS[2])
        redis.call('ZADD', KEYS[3], position, ARGV[1])
        return position
        """

    /// `KEYS` counter, changes, timeouts; `ARGV` now, hash prefix, idle milliseconds.
    private static let expireScript = schedule + """

        local now, idle = tonumber(ARGV[1]), tonumber(ARGV[3])
        local due = redis.call('ZRANGE', KEYS[3], '-inf', ARGV[1], 'BYSCORE')
        local changed = {}
        for _, user in ipairs(due) do
            local hash = ARGV[2] .. user
            local presence = redis.call('HGET', hash, 'presence')
            if not presence then
                redis.call('ZREM', KEYS[3], user)
            else
                local updated = presence
                if now >= tonumber(redis.call('HGET', hash, 'offline_at') or '0') then
                    updated = 'offline'
                elseif presence == 'online'
                    and now >= tonumber(redis.call('HGET', hash, 'last_active') or '0') + idle then
                    updated = 'unavailable'
                end
                redis.call('HSET', hash, 'presence', updated)
                schedule(hash, KEYS[3], user, updated, idle)
                if updated ~= presence then table.insert(changed, user) end
            end
        end
        if #changed > 0 then
            local position = redis.call('INCR', KEYS[1])
            for _, user in ipairs(changed) do redis.call('ZADD', KEYS[2], position, user) end
        end
        return changed
        """

    /// `KEYS` counter, changes; `ARGV` after, hash prefix. Returns the counter, then each
    /// changed user and their `presence`, `status_msg` and `last_active`.
    private static let changesScript = CounterReply.scriptPrelude + """
        for _, user in ipairs(redis.call('ZRANGE', KEYS[2], '(' .. after, '+inf', 'BYSCORE')) do
            table.insert(result, user)
            table.insert(result, redis.call('HMGET', ARGV[2] .. user, 'presence', 'status_msg', 'last_active'))
        end
        return result
        """
}
