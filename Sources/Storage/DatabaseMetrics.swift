import Metrics
import Synchronization

/// How busy one worker's connection pool is and how long its queries take.
///
/// Metrics: `trellis_db_pool_connections_in_use` (gauge: operations holding a pooled
/// connection or waiting for one, so a value at `trellis_db_pool_connections_max` means
/// requests queue for connections) and `trellis_db_query_duration_seconds{query}` (histogram
/// by the statement's label, from asking for a connection until the first rows arrive, or for
/// a transaction until it commits).
final class DatabaseMetrics: Sendable {
    private let inUse = Gauge(label: "trellis_db_pool_connections_in_use")
    private let count = Atomic<Int>(0)

    init(maxConnections: Int) {
        Gauge(label: "trellis_db_pool_connections_max").record(maxConnections)
    }

    /// Runs `body` as one pooled operation named `label`.
    func measure<Result>(_ label: String, _ body: () async throws -> Result) async rethrows -> Result {
        inUse.record(count.wrappingAdd(1, ordering: .relaxed).newValue)
        let start = ContinuousClock.now
        defer {
            inUse.record(count.wrappingSubtract(1, ordering: .relaxed).newValue)
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            Metrics.Timer(label: "trellis_db_query_duration_seconds", dimensions: [("query", label)],
                          preferredDisplayUnit: .seconds)
                .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        return try await body()
    }
}
