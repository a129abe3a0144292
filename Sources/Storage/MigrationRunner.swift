import Logging
import PostgresNIO

/// Applies numbered migrations and reports the schema version.
///
/// Each migration runs in its own transaction together with the row that records it in
/// `schema_versions`. A transaction-scoped advisory lock serialises runners, so two
/// replicas that start `trellis migrate` at once apply every migration exactly once.
public struct MigrationRunner: Sendable {
    /// Key of the advisory lock that serialises migration runners (arbitrary, fixed).
    static let advisoryLockKey: Int64 = 0x7472_656c_6c69_73

    let database: Database
    let migrations: [Migration]

    public init(database: Database, migrations: [Migration]) {
        self.database = database
        self.migrations = migrations
    }

    /// The version this build expects: the highest bundled migration.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The highest applied version, 0 for an empty database.
    public func currentVersion() async throws -> Int {
        try await database.withConnection(label: "select_schema_version") { connection in
            try await Self.appliedVersion(connection, logger: database.logger)
        }
    }

    /// Whether the database is exactly at `latestVersion`.
    public func isCurrent() async throws -> Bool {
        try await currentVersion() == latestVersion
    }

    /// Applies every migration above the current version; returns those applied by this call.
    @discardableResult
    public func migrate(progress: (Migration) -> Void = { _ in }) async throws -> [Migration] {
        let logger = database.logger
        var applied: [Migration] = []
        for migration in migrations {
            let didApply = try await Self.unwrappingTransactionErrors {
                try await database.client.withTransaction(logger: logger) { connection in
                    try await applyIfPending(migration, on: connection)
                }
            }
            if didApply {
                progress(migration)
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration)
            }
        }
        return applied
    }

    /// Applies `migration` inside the caller's transaction unless the schema already has it.
    ///
    /// The advisory lock is held until the transaction ends, so concurrent runners queue here and
    /// each sees the version the previous one committed.
    private func applyIfPending(_ migration: Migration, on connection: PostgresConnection) async throws -> Bool {
        let logger = database.logger
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
        try await Self.ensureVersionTable(connection, logger: logger)
        let current = try await Self.appliedVersion(connection, logger: logger)
        if current > latestVersion {
            throw MigrationError.databaseAhead(database: current, build: latestVersion)
        }
        guard current < migration.version else { return false }
        for statement in SQLScript.statements(in: migration.sql) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await connection.query(
            "INSERT INTO schema_versions (version, name) VALUES (\(migration.version), \(migration.name))",
            logger: logger
        )
        return true
    }

    /// Surfaces the error a migration threw rather than postgres-nio's transaction wrapper.
    private static func unwrappingTransactionErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    private static func ensureVersionTable(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_versions (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
    }

    /// The highest recorded version; 0 while `schema_versions` does not exist yet.
    private static func appliedVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists = try await connection.query("SELECT to_regclass('schema_versions') IS NOT NULL", logger: logger)
        for try await tableExists in exists.decode(Bool.self) where !tableExists { return 0 }
        let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM schema_versions", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }
}
