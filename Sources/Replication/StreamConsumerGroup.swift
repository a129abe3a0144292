import Logging

/// A work queue over one stream shared by replicas: each entry goes to exactly one consumer of the group
/// (`XREADGROUP`), which acknowledges it (`XACK`) once handled. Delivery is at least once.
///
/// ```swift
/// let group = StreamConsumerGroup(connection: connection, stream: .federationOut,
///                                 group: "federation-sender", consumer: workerName)
/// try await group.ensureCreated()
/// for try await entry in group.entries {
///     try await send(entry)
///     try await group.acknowledge([entry.id])
/// }
/// ```
///
/// ``entries`` first re-reads this consumer's own pending entries (read earlier but never acknowledged, e.g.
/// before a crash; `XREADGROUP … 0`), then blocks for new ones (`XREADGROUP … >`). Whenever the connection had to
/// be re-established (Redis restarted, or the link dropped mid-read) it goes back to its pending entries first, so
/// an entry read but not acknowledged before a restart is delivered again after it. Entries are handed out one at a
/// time and the next batch is only read once the previous one has been handed out, so acknowledging on the same
/// connection between `next()` calls is fine. Use a dedicated connection per consumer (the read blocks).
///
/// Consumers that die leave their entries pending; ``reclaimStale(minIdle:count:)`` (`XAUTOCLAIM`) takes over the
/// ones idle for long enough, and ``entries`` does so itself every `reclaimInterval` when `reclaimMinIdle` is set.
public struct StreamConsumerGroup: Sendable {
    /// Where a newly created group starts reading.
    public enum StartPosition: Sendable, Hashable {
        /// The whole stream (`0`).
        case beginning
        /// Only entries added after creation (`$`).
        case latest
        /// After a given id.
        case after(StreamEntryID)
    }

    public let connection: RedisConnection
    public let stream: StreamName
    public let group: String
    public let consumer: String
    public let blockTimeout: Duration
    public let batchSize: Int
    /// When set, ``entries`` also claims entries idle for this long from any consumer (dead ones included).
    public let reclaimMinIdle: Duration?
    public let reclaimInterval: Duration
    public let logger: Logger?

    public init(
        connection: RedisConnection,
        stream: StreamName,
        group: String,
        consumer: String,
        blockTimeout: Duration = .seconds(5),
        batchSize: Int = 100,
        reclaimMinIdle: Duration? = nil,
        reclaimInterval: Duration = .seconds(30),
        logger: Logger? = nil
    ) {
        self.connection = connection
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.blockTimeout = blockTimeout
        self.batchSize = batchSize
        self.reclaimMinIdle = reclaimMinIdle
        self.reclaimInterval = reclaimInterval
        self.logger = logger
    }

    /// Creates the group (and the stream) unless it exists: `XGROUP CREATE … MKSTREAM`, ignoring `BUSYGROUP`.
    public func ensureCreated(startingAt start: StartPosition = .latest) async throws {
        let id = switch start {
        case .beginning: "0"
        case .latest: "$"
        case .after(let id): id.description
        }
        do {
            try await connection.send(["XGROUP", "CREATE", stream.key, group, id, "MKSTREAM"])
        } catch let error as RedisError where error.serverErrorPrefix == "BUSYGROUP" {
            return
        }
    }

    /// All entries delivered to this consumer and not yet acknowledged (its pending list), oldest first.
    /// Entries deleted from the stream meanwhile are acknowledged and left out.
    public func pending() async throws -> [StreamEntry] {
        var result: [StreamEntry] = []
        var cursor = StreamEntryID.zero
        while true {
            let batch = try await readPending(after: cursor)
            guard let last = batch.last else { return result }
            cursor = last.id
            result += try await dropDeleted(batch)
        }
    }

    /// Acknowledges handled entries (`XACK`); returns how many were pending. Safe to repeat.
    @discardableResult
    public func acknowledge(_ ids: [StreamEntryID]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let reply = try await connection.send(["XACK", stream.key, group] + ids.map(\.description))
        guard let count = reply.integer else { throw StreamReply.unexpected(reply) }
        ReplicationMetrics.acknowledged(stream, group: group).increment(by: count)
        return count
    }

    /// Takes over entries that have been pending for at least `minIdle` with any consumer of the group
    /// (`XAUTOCLAIM`, following its cursor through the whole pending list) and returns them; they are now this
    /// consumer's to handle and acknowledge. Entries deleted from the stream meanwhile are dropped from the pending
    /// list by Redis and left out.
    public func reclaimStale(minIdle: Duration, count: Int = 100) async throws -> [StreamEntry] {
        var claimed: [StreamEntry] = []
        var cursor = StreamEntryID.zero
        repeat {
            let reply = try await connection.send(
                ["XAUTOCLAIM", stream.key, group, consumer, String(minIdle <= .zero ? 0 : milliseconds(minIdle)),
                 cursor.description, "COUNT", String(count)]
            )
            guard let parts = reply.array, parts.count >= 2, let next = parts[0].string.flatMap(StreamEntryID.init)
            else { throw StreamReply.unexpected(reply) }
            claimed += try StreamReply.entries(parts[1]).compactMap { raw in
                raw.fields.map { StreamEntry(id: raw.id, fields: $0) }
            }
            cursor = next
        } while cursor != .zero
        if !claimed.isEmpty {
            ReplicationMetrics.reclaimed(stream, group: group).increment(by: claimed.count)
            logger?.info("Reclaimed stale stream entries",
                         metadata: ["stream": "\(stream)", "group": "\(group)", "count": "\(claimed.count)"])
        }
        return claimed
    }

    /// Number of entries pending in the whole group (`XPENDING` summary).
    public func pendingCount() async throws -> Int {
        let reply = try await connection.send(["XPENDING", stream.key, group])
        guard let count = reply.array?.first?.integer else { throw StreamReply.unexpected(reply) }
        return count
    }

    // MARK: Reading

    func readPending(after cursor: StreamEntryID) async throws -> [RawStreamEntry] {
        let reply = try await connection.send(
            ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(batchSize), "STREAMS", stream.key,
             cursor.description]
        )
        return try StreamReply.readReply(reply)
    }

    func readNew() async throws -> [StreamEntry] {
        let reply = try await connection.send(
            ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(batchSize),
             "BLOCK", String(milliseconds(blockTimeout)), "STREAMS", stream.key, ">"],
            timeout: blockTimeout + connection.configuration.commandTimeout
        )
        return try StreamReply.readReply(reply).compactMap { raw in
            raw.fields.map { StreamEntry(id: raw.id, fields: $0) }
        }
    }

    /// Acknowledges pending entries whose content was trimmed away and returns the others.
    func dropDeleted(_ raw: [RawStreamEntry]) async throws -> [StreamEntry] {
        let deleted = raw.filter { $0.fields == nil }.map(\.id)
        if !deleted.isEmpty {
            logger?.warning("Pending stream entries were trimmed before being handled",
                            metadata: ["stream": "\(stream)", "group": "\(group)", "count": "\(deleted.count)"])
            try await acknowledge(deleted)
        }
        return raw.compactMap { entry in entry.fields.map { StreamEntry(id: entry.id, fields: $0) } }
    }

    /// This consumer's entries: its pending ones first, then new ones. See the type's documentation.
    public var entries: Entries { Entries(group: self) }

    public struct Entries: AsyncSequence, Sendable {
        public typealias Element = StreamEntry
        let group: StreamConsumerGroup

        public func makeAsyncIterator() -> Iterator { Iterator(group: group) }

        public struct Iterator: AsyncIteratorProtocol, Sendable, StreamBatchIterator {
            private enum Mode: Sendable {
                case pending(after: StreamEntryID)
                case new
            }

            let group: StreamConsumerGroup
            private var mode: Mode = .pending(after: .zero)
            var unread: ArraySlice<StreamEntry> = []
            private var generation: UInt64?
            private var lastReclaim: ContinuousClock.Instant?

            init(group: StreamConsumerGroup) {
                self.group = group
            }

            public mutating func next() async throws -> StreamEntry? {
                try await nextBufferedEntry()
            }

            mutating func connectionLost(_ error: RedisError) {
                group.logger?.warning("Consumer lost Redis; re-reading its pending entries once back",
                                      metadata: ["stream": "\(group.stream)", "error": "\(error)"])
                mode = .pending(after: .zero)
            }

            mutating func readFailed(_ error: RedisError) async throws {
                guard error.serverErrorPrefix == "NOGROUP" else { throw error }
                // Redis lost the group (restarted without persistence, or deleted): recreate it.
                group.logger?.warning("Consumer group missing; recreating it",
                                      metadata: ["stream": "\(group.stream)", "group": "\(group.group)"])
                try await group.ensureCreated(startingAt: .beginning)
                mode = .pending(after: .zero)
            }

            mutating func readBatch() async throws -> [StreamEntry] {
                let before = group.connection.connectionGeneration
                if let generation, before != generation {
                    mode = .pending(after: .zero)  // reconnected since the last read: recover our pending list
                }
                if let minIdle = group.reclaimMinIdle, case .new = mode {
                    let now = ContinuousClock.now
                    if lastReclaim.map({ now - $0 >= group.reclaimInterval }) ?? true {
                        lastReclaim = now
                        let claimed = try await group.reclaimStale(minIdle: minIdle, count: group.batchSize)
                        if !claimed.isEmpty {
                            ReplicationMetrics.consumed(claimed, of: group.stream, group: group.group, isFresh: false)
                            return claimed
                        }
                    }
                }
                let batch: [StreamEntry]
                let isFresh: Bool
                switch mode {
                case .pending(let cursor):
                    let raw = try await group.readPending(after: cursor)
                    generation = group.connection.connectionGeneration
                    guard let last = raw.last else {
                        mode = .new
                        return []
                    }
                    mode = .pending(after: last.id)
                    batch = try await group.dropDeleted(raw)
                    isFresh = false
                case .new:
                    let entries = try await group.readNew()
                    let after = group.connection.connectionGeneration
                    generation = after
                    if after != before {
                        // The link was re-established during this read: whatever it returned is in our pending
                        // list, and so may be entries from a reply lost earlier. Read that list again instead.
                        mode = .pending(after: .zero)
                        return []
                    }
                    batch = entries
                    isFresh = true
                }
                ReplicationMetrics.consumed(batch, of: group.stream, group: group.group, isFresh: isFresh)
                return batch
            }
        }
    }
}
