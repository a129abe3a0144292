/// A token bucket: `burst` requests at once, refilled at `perSecond`.
public struct RateLimit: Sendable, Equatable {
    public var perSecond: Double
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        precondition(perSecond > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least 1")
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// Token buckets held in Redis, so that every replica of a worker counts against the same limit.
///
/// One Lua script per take reads the bucket, refills it for the time elapsed by Redis's own
/// clock (so replicas with skewed clocks agree), takes a token or says how long until one is
/// available, and lets the key expire once the bucket would be full again.
public struct RedisRateLimiter: Sendable {
    let connection: RedisConnection
    let keyPrefix: String

    public init(connection: RedisConnection, keyPrefix: String = "trellis:ratelimit:") {
        self.connection = connection
        self.keyPrefix = keyPrefix
    }

    /// Takes one token from the bucket `name` under `limit`; returns `nil` when allowed, else
    /// the milliseconds until a token is available (nothing is taken then).
    public func take(_ name: String, limit: RateLimit) async throws -> Int64? {
        let reply = try await connection.send([
            "EVAL", Self.script, "1", keyPrefix + name, String(limit.perSecond / 1000), String(limit.burst),
        ])
        guard case .integer(let retryAfter) = reply else {
            throw RedisError(.unexpectedReply, "rate limit script answered \(reply)")
        }
        return retryAfter > 0 ? Int64(retryAfter) : nil
    }

    /// KEYS[1]: the bucket; ARGV[1]: tokens per millisecond; ARGV[2]: burst. Returns 0 when a
    /// token was taken, else the milliseconds until one is available.
    static let script = """
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(bucket[1]) or burst
        local at = tonumber(bucket[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
        local wait = 0
        if tokens >= 1 then
            tokens = tokens - 1
        else
            wait = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
        return wait
        """
}
