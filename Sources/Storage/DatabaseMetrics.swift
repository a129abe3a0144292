import MatrixCore
import Metrics
import Synchronization

/// How busy one worker's connection pool is and how long its queries take.
///
/// Metrics: `trellis_db_pool_connections_in_use` (gauge: operations holding a pooled
/// connection or waiting for one, so a value at `trellis_db_pool_connections_max` means
/// requests queue for connections) and `trellis_db_query_duration_seconds{query}` (histogram
/// by the statement's label, from asking for a connection until the first rows arrive, or for
/// a transaction until it commits). A query's connection returns to the pool when its rows are
/// read, a little after the gauge counts it out.
final class DatabaseMetrics: Sendable {
    private let inUse = Gauge(label: "trellis_db_pool_connections_in_use")
    /// Operations in flight; the gauge is written under the same lock, so it never lags a newer count.
    private let count = Mutex<Int>(0)
    /// One histogram per statement label, made on first use: the labels are a fixed set, and
    /// making a handle per query would look the series up in the registry every time.
    private let durations = Memo<String, Metrics.Timer>()

    init(maxConnections: Int) {
        Gauge(label: "trellis_db_pool_connections_max").record(maxConnections)
    }

    /// Runs `body` as one pooled operation named `label`.
    func measure<Result>(_ label: String, _ body: () async throws -> Result) async rethrows -> Result {
        change(by: 1)
        let start = ContinuousClock.now
        defer {
            change(by: -1)
            duration(of: label).record(duration: ContinuousClock.now - start)
        }
        return try await body()
    }

    private func duration(of label: String) -> Metrics.Timer {
        durations.value(for: label) {
            Metrics.Timer(label: "trellis_db_query_duration_seconds", dimensions: [("query", label)],
                          preferredDisplayUnit: .seconds)
        }
    }

    private func change(by delta: Int) {
        count.withLock { count in
            count += delta
            inUse.record(count)
        }
    }
}
