import Logging
import MatrixCore
import Replication

/// The actions Trellis rate-limits, each with its own bucket per key (user or client address).
public enum RateLimitedAction: String, Sendable, CaseIterable {
    /// Sending events: messages, state, redactions, room creation (per user).
    case message
    /// `POST /register` (per client address).
    case registration
    /// `POST /login` (per client address).
    case login
    /// Joins, knocks and invites (per user).
    case join
}

/// Rate limits shared by every replica through Redis, answering `429 M_LIMIT_EXCEEDED` with
/// `retry_after_ms` when a bucket is empty.
///
/// Redis is not the source of truth: when it cannot be reached the request is let through and
/// the failure logged, rather than failing every request while Redis restarts.
public struct RateLimits: Sendable {
    let limiter: RedisRateLimiter
    /// The limit of each action; an action without one is not limited.
    let limits: [RateLimitedAction: RateLimit]
    let logger: Logger

    public init(limiter: RedisRateLimiter, limits: [RateLimitedAction: RateLimit], logger: Logger) {
        self.limiter = limiter
        self.limits = limits
        self.logger = logger
    }

    /// Takes a token for `action` from `key`'s bucket, or throws `M_LIMIT_EXCEEDED`.
    public func check(_ action: RateLimitedAction, key: String) async throws {
        guard let limit = limits[action] else { return }
        let retryAfter: Int64?
        do {
            retryAfter = try await limiter.take("\(action.rawValue):\(key)", limit: limit)
        } catch {
            logger.warning("rate limiter unavailable; request allowed",
                           metadata: ["action": "\(action.rawValue)", "error": "\(error)"])
            return
        }
        if let retryAfter {
            throw MatrixError(.limitExceeded, "Too many requests", extra: ["retry_after_ms": .integer(retryAfter)])
        }
    }

    /// ``check(_:key:)`` for an authenticated user; server admins are exempt, as in Synapse.
    public func check(_ action: RateLimitedAction, for requester: Requester) async throws {
        guard !requester.isAdmin else { return }
        try await check(action, key: requester.userID.description)
    }
}
