import Foundation
import Logging
import MatrixCore
import PostgresNIO

/// The pooled PostgreSQL client shared by every store of one worker process.
///
/// `client` is a `ServiceLifecycle.Service`: put it into the worker's `ServiceGroup`
/// before anything that queries. The pool opens connections on demand and replaces
/// broken ones, so a worker survives a PostgreSQL restart without intervention.
public struct Database: Sendable {
    /// The postgres-nio connection pool.
    public let client: PostgresClient
    /// Where the pool connects.
    public let settings: DatabaseSettings
    let logger: Logger
    let metrics: DatabaseMetrics

    public init(settings: DatabaseSettings, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.user,
            password: settings.password,
            database: settings.database,
            tls: settings.tls.postgresTLS
        )
        configuration.options.maximumConnections = settings.maxConnections
        configuration.options.connectTimeout = settings.connectTimeout
        // The hot statements are prepared and look rows up by key: plan them once per connection
        // instead of re-planning each execution (planning cost more than executing them).
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_generic_plan")]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.settings = settings
        self.logger = logger
        self.metrics = DatabaseMetrics(maxConnections: settings.maxConnections)
    }

    /// Checks that the server answers a trivial query within `timeout`.
    ///
    /// While PostgreSQL is down the pool holds queries and retries its connections with
    /// backoff, so without a deadline a probe would wait for a minute or more.
    /// Readiness probes call it every few seconds; it is not counted in the query metrics.
    public func ping(timeout: Duration = .seconds(5)) async throws {
        let client = client, logger = logger
        try await withDeadline(timeout, orThrow: { DatabaseUnavailable(timeout: timeout) }) {
            let rows = try await client.query("SELECT 1", logger: logger)
            for try await _ in rows {}
        }
    }
}

/// PostgreSQL did not answer within the deadline.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public let timeout: Duration
    public var description: String { "PostgreSQL did not answer within \(timeout)" }
}

extension Database {
    /// Runs the pool for the duration of `body`, for one-shot commands outside a `ServiceGroup`.
    public func whileRunning<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}

extension Database {
    /// Runs `query` on a pooled connection; `label` names it in logs and metrics.
    func query(_ query: PostgresQuery, label: String) async throws -> PostgresRowSequence {
        try await metrics.measure(label) { try await client.query(query, logger: queryLogger(label)) }
    }

    /// Runs a prepared statement on a pooled connection; `label` names it in logs and metrics.
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement, label: String
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row> {
        try await metrics.measure(label) { try await client.execute(statement, logger: queryLogger(label)) }
    }

    /// Runs `body` on one pooled connection; `label` names the work in metrics.
    func withConnection<Result: Sendable>(
        label: String, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await metrics.measure(label) { try await client.withConnection { connection in try await body(connection) } }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws,
    /// with the error `body` threw (not postgres-nio's wrapper) passed on. `label` names the
    /// transaction in logs and metrics.
    func transaction<Result: Sendable>(
        label: String, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await metrics.measure(label) {
            do {
                return try await client.withTransaction(logger: queryLogger(label)) { connection in
                    try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error
            }
        }
    }
}

extension Database {
    /// The database logger tagged with a query's label, as Synapse's `desc=` does.
    func queryLogger(_ label: String) -> Logger {
        var logger = self.logger
        logger[metadataKey: "query"] = "\(label)"
        return logger
    }
}

/// The current time in milliseconds since the epoch, as Matrix timestamps are stored.
func unixMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
