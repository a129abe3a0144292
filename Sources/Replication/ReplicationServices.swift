import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Pings Redis periodically and keeps the last outcome, for the `/ready` check and a gauge
/// (`trellis_redis_up`, 1 or 0). Put it in a worker's `ServiceGroup`; it ends on graceful shutdown.
public final class RedisHealthMonitor: Service, Sendable {
    public let connection: RedisConnection
    public let interval: Duration
    private let logger: Logger
    private let state = LockedState(true)
    private let gauge = Gauge(label: "trellis_redis_up")

    public init(connection: RedisConnection, interval: Duration = .seconds(5), logger: Logger) {
        self.connection = connection
        self.interval = interval
        self.logger = logger
    }

    /// Whether the last ping succeeded (true until the first one fails).
    public var isHealthy: Bool { state.value }

    /// Pings now and records the outcome; throws what `ping()` threw.
    public func check() async throws {
        do {
            try await connection.ping()
            record(true, error: nil)
        } catch {
            record(false, error: error)
            throw error
        }
    }

    /// Pings every `interval` until graceful shutdown, then returns (a sleep cut short ends it).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await self.check()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    private func record(_ healthy: Bool, error: (any Error)?) {
        let previous = state.exchange(healthy)
        gauge.record(healthy ? 1 : 0)
        if previous != healthy {
            if healthy {
                logger.info("Redis is reachable again")
            } else {
                logger.error("Redis is unreachable", metadata: ["error": "\(String(describing: error))"])
            }
        }
    }
}

/// Runs a handler for each entry of a consumer group, acknowledging it when the handler returns. When the handler
/// throws, the entry stays pending: it is handed out again after a reconnect, or reclaimed (by this or another
/// consumer) after `reclaimMinIdle` if the group was configured with it. Stops on graceful shutdown (the entry
/// being handled may be cut short and is then delivered again: handlers must be idempotent).
public struct StreamConsumerService: Service {
    public let group: StreamConsumerGroup
    public let createGroupAt: StreamConsumerGroup.StartPosition
    private let logger: Logger
    private let handler: @Sendable (StreamEntry) async throws -> Void

    public init(
        group: StreamConsumerGroup,
        createGroupAt: StreamConsumerGroup.StartPosition = .latest,
        logger: Logger,
        handler: @escaping @Sendable (StreamEntry) async throws -> Void
    ) {
        self.group = group
        self.createGroupAt = createGroupAt
        self.logger = logger
        self.handler = handler
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.group.ensureCreated(startingAt: self.createGroupAt)
            for try await entry in self.group.entries {
                do {
                    try await self.handler(entry)
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.error("Stream entry handler failed; entry left pending",
                                      metadata: ["stream": "\(self.group.stream)", "id": "\(entry.id)",
                                                 "error": "\(error)"])
                    continue
                }
                try await self.group.acknowledge([entry.id])
            }
        }
    }
}

/// Runs a handler for each entry of a fan-out ``StreamReader``. Stops on graceful shutdown.
public struct StreamReaderService: Service {
    public let reader: StreamReader
    private let handler: @Sendable (StreamEntry) async throws -> Void

    public init(reader: StreamReader, handler: @escaping @Sendable (StreamEntry) async throws -> Void) {
        self.reader = reader
        self.handler = handler
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            for try await entry in self.reader {
                try await self.handler(entry)
            }
        }
    }
}

/// A value behind a lock, for small shared state.
final class LockedState<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func exchange(_ value: Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        let old = stored
        stored = value
        return old
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&stored)
    }
}
