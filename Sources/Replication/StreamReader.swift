import Logging

/// Fan-out reading of one stream: every reader sees every entry (`XREAD BLOCK`).
///
/// Iterate it with `for try await entry in reader`. Each iterator keeps the id of the last entry it delivered and
/// always reads after it, so when Redis restarts the blocked `XREAD` is sent again after reconnecting and the
/// iterator carries on without missing or repeating an entry (as long as Redis kept the stream: run it with
/// `appendonly yes`). While Redis stays unreachable the iterator keeps trying; it only throws for errors Redis
/// reports (e.g. `WRONGTYPE`).
///
/// The iterator ends (returns `nil`) when its task is cancelled — at once, even mid-`XREAD` — or when the
/// connection is closed. Use `.cancelOnGracefulShutdown()` from ServiceLifecycle, or ``StreamReaderService``.
///
/// The blocking `XREAD` holds its connection: give each reader a dedicated ``RedisConnection``.
///
/// A reader that falls further behind than the stream's `MAXLEN` silently skips the trimmed entries; compare
/// entry positions with the database if that matters.
public struct StreamReader: AsyncSequence, Sendable {
    public typealias Element = StreamEntry

    public let connection: RedisConnection
    public let stream: StreamName
    /// Deliver entries after this id; `nil` means only entries added after iteration starts (`$`, resolved once to
    /// the stream's last id by the first `next()`, so that a later reconnect does not skip anything).
    public let position: StreamEntryID?
    public let blockTimeout: Duration
    public let batchSize: Int
    public let logger: Logger?

    public init(
        connection: RedisConnection,
        stream: StreamName,
        after position: StreamEntryID?,
        blockTimeout: Duration = .seconds(5),
        batchSize: Int = 100,
        logger: Logger? = nil
    ) {
        self.connection = connection
        self.stream = stream
        self.position = position
        self.blockTimeout = blockTimeout
        self.batchSize = batchSize
        self.logger = logger
    }

    /// A reader positioned at the stream's current end, resolved now: it delivers exactly the entries added after
    /// this call returns.
    public static func startingNow(
        connection: RedisConnection,
        stream: StreamName,
        blockTimeout: Duration = .seconds(5),
        batchSize: Int = 100,
        logger: Logger? = nil
    ) async throws -> StreamReader {
        let last = try await lastEntryID(of: stream, connection: connection)
        return StreamReader(connection: connection, stream: stream, after: last, blockTimeout: blockTimeout,
                            batchSize: batchSize, logger: logger)
    }

    /// The id of the stream's newest entry, or ``StreamEntryID/zero`` when it is empty or missing.
    public static func lastEntryID(of stream: StreamName, connection: RedisConnection) async throws -> StreamEntryID {
        let reply = try await connection.send(["XREVRANGE", stream.key, "+", "-", "COUNT", "1"])
        return try StreamReply.entries(reply).first?.id ?? .zero
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: self, position: position)
    }

    public struct Iterator: AsyncIteratorProtocol, Sendable, StreamBatchIterator {
        let reader: StreamReader
        /// The id of the last entry delivered (or the start position).
        public private(set) var position: StreamEntryID?
        var unread: ArraySlice<StreamEntry> = []

        init(reader: StreamReader, position: StreamEntryID?) {
            self.reader = reader
            self.position = position
        }

        public mutating func next() async throws -> StreamEntry? {
            let entry = try await nextBufferedEntry()
            if let entry { position = entry.id }
            return entry
        }

        func connectionLost(_ error: RedisError) {
            reader.logger?.warning("Stream reader lost Redis; retrying",
                                   metadata: ["stream": "\(reader.stream)", "error": "\(error)"])
        }

        mutating func readBatch() async throws -> [StreamEntry] {
            let after: StreamEntryID
            if let position {
                after = position
            } else {
                after = try await StreamReader.lastEntryID(of: reader.stream, connection: reader.connection)
                position = after
            }
            let blockMilliseconds = milliseconds(reader.blockTimeout)
            let reply = try await reader.connection.send(
                ["XREAD", "COUNT", String(reader.batchSize), "BLOCK", String(blockMilliseconds),
                 "STREAMS", reader.stream.key, after.description],
                timeout: reader.blockTimeout + reader.connection.configuration.commandTimeout
            )
            let entries = try StreamReply.readReply(reply).compactMap { raw in
                raw.fields.map { StreamEntry(id: raw.id, fields: $0) }
            }
            ReplicationMetrics.consumed(entries, of: reader.stream, group: nil)
            return entries
        }
    }
}

/// Whole milliseconds, at least 1 (`BLOCK 0` would mean forever).
func milliseconds(_ duration: Duration) -> Int64 {
    max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
}
