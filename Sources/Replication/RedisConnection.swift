import Logging

/// One connection to Redis.
///
/// hiredis does the RESP formatting and parsing; its blocking I/O runs on a dedicated thread owned by this
/// connection (never on a NIO event loop or the Swift cooperative pool). Commands are queued to that thread and
/// answered through continuations, in order. A blocking command (`XREAD BLOCK`, `XREADGROUP BLOCK`) therefore holds
/// the connection for its whole block time: give every blocking reader its own connection.
///
/// ## Reconnecting
/// The connection is opened lazily by the first command and reopened transparently when Redis went away:
/// - Before each command a dead link (peer closed, e.g. Redis restarted) is detected and replaced, so nothing is
///   sent on it; every command, retried or not, then succeeds once Redis is back within
///   ``RedisConfiguration/reconnectTimeout``, otherwise it fails with ``RedisError/Code/connectionFailed``.
/// - If the link drops while a command is in flight, the outcome is unknown. Commands that are safe to repeat are
///   sent again after reconnecting (see ``isRetriedOnReconnect(_:)``): reads (`PING`, `GET`, `XREAD`, `XRANGE`,
///   `XLEN`, `XINFO`, `XPENDING`, history `XREADGROUP … <id>`…), and idempotent writes (`XACK`, `XGROUP`,
///   `AUTH`, `SELECT`). Every other command (notably `XADD`, `XREADGROUP … >` and `XAUTOCLAIM`) fails with
///   ``RedisError/Code/connectionLost`` and the caller decides. Pass `retryOnReconnect:` to override.
/// - A `-LOADING` reply (Redis restarted and is still reading its append-only file; nothing was executed) is waited
///   out with backoff, for every command, up to ``RedisConfiguration/reconnectTimeout``.
/// - Timeouts (``RedisError/Code/timeout``) are never retried.
///
/// Cancelling the task awaiting a command interrupts it at once, even a blocking one (the socket is shut down and
/// reopened by the next command); the command then throws `CancellationError`.
public final class RedisConnection: Sendable {
    public let configuration: RedisConfiguration
    private let worker: RedisConnectionWorker

    public init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.worker = RedisConnectionWorker(configuration: configuration, logger: logger)
        worker.start()
    }

    deinit {
        worker.close()
    }

    /// Sends one command; `arguments[0]` is the command name. Error replies are thrown as ``RedisError``.
    ///
    /// - Parameters:
    ///   - retryOnReconnect: whether to send the command again when the link drops while it is in flight;
    ///     `nil` decides from the command name (``isRetriedOnReconnect(_:)``).
    ///   - timeout: how long to wait for the reply; `nil` uses ``RedisConfiguration/commandTimeout``.
    @discardableResult
    public func send(
        _ arguments: [String],
        retryOnReconnect: Bool? = nil,
        timeout: Duration? = nil
    ) async throws -> RedisValue {
        try await send(arguments.map { Array($0.utf8) }, retryOnReconnect: retryOnReconnect, timeout: timeout)
    }

    /// Binary-safe variant of ``send(_:retryOnReconnect:timeout:)-(String)``.
    @discardableResult
    public func send(
        _ arguments: [[UInt8]],
        retryOnReconnect: Bool? = nil,
        timeout: Duration? = nil
    ) async throws -> RedisValue {
        guard !arguments.isEmpty else { throw RedisError(.invalidArgument, "empty command") }
        let retry = retryOnReconnect ?? Self.isRetriedOnReconnect(arguments)
        let job = RedisJob(arguments: arguments, retryOnReconnect: retry,
                           timeout: timeout ?? configuration.commandTimeout)
        return try await worker.submit(job)
    }

    /// `PING`; throws unless Redis answers `PONG`. Used by readiness checks.
    public func ping() async throws {
        let reply = try await send(["PING"])
        guard reply.string == "PONG" else {
            throw RedisError(.unexpectedReply, "PING answered \(reply)")
        }
    }

    /// Closes the connection: queued commands fail with ``RedisError/Code/closed``, a command in flight is
    /// interrupted, and the thread ends. Idempotent.
    public func close() {
        worker.close()
    }

    /// Increases by one each time a link to Redis is established (the first connect makes it 1). A change between
    /// two commands means Redis may have been restarted in between.
    public var connectionGeneration: UInt64 { worker.generation }

    /// Whether a command is sent again after a dropped link, when the caller does not say.
    public static func isRetriedOnReconnect(_ arguments: [[UInt8]]) -> Bool {
        guard let first = arguments.first else { return false }
        let name = String(decoding: first, as: UTF8.self).uppercased()
        if retriedCommands.contains(name) { return true }
        if name == "XREADGROUP" {
            // Reading one's own pending history (an explicit id) changes nothing; `>` moves entries into the
            // pending list, and a lost reply is recovered by re-reading that list instead.
            return !arguments.contains(Array(">".utf8))
        }
        return false
    }

    private static let retriedCommands: Set<String> = [
        "PING", "ECHO", "AUTH", "SELECT", "INFO", "DBSIZE", "TIME",
        "GET", "MGET", "EXISTS", "TYPE", "TTL", "PTTL", "STRLEN",
        "HGET", "HMGET", "HGETALL", "LLEN", "LRANGE", "SCARD", "SMEMBERS", "SISMEMBER", "ZCARD", "ZSCORE",
        "XLEN", "XRANGE", "XREVRANGE", "XREAD", "XINFO", "XPENDING", "XACK", "XGROUP",
    ]
}
