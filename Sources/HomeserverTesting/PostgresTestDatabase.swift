import Foundation
import Logging
import PostgresNIO
import Storage

/// A database of its own for one test, created in the test PostgreSQL cluster and dropped after.
///
/// ```swift
/// try await PostgresTestDatabase.with { database in
///     let runner = MigrationRunner(database: database, migrations: try Migration.bundled())
///     …
/// }
/// ```
public enum PostgresTestDatabase {
    /// Settings for a database named `name` in the test cluster.
    public static func settings(name: String) -> DatabaseSettings {
        DatabaseSettings(
            host: TestEnvironment.postgresHost, port: TestEnvironment.postgresPort,
            user: "trellis", database: name, maxConnections: 10, connectTimeout: .seconds(5)
        )
    }

    /// Creates a fresh database, runs `body` with its pool running, then drops it.
    public static func with<Result: Sendable>(
        _ body: (Database) async throws -> Result
    ) async throws -> Result {
        let name = try await create()
        do {
            let database = Database(settings: settings(name: name), logger: testLogger)
            let result = try await database.whileRunning { try await body(database) }
            try await drop(name)
            return result
        } catch {
            try? await drop(name)
            throw error
        }
    }

    /// Creates an empty database with a unique name and returns the name.
    public static func create() async throws -> String {
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await administer("CREATE DATABASE \(name) OWNER trellis")
        return name
    }

    /// Drops a database made by `create()`, disconnecting whoever still uses it.
    public static func drop(_ name: String) async throws {
        try await administer("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one statement on the maintenance database as the `postgres` superuser.
    static func administer(_ sql: String) async throws {
        var settings = settings(name: "postgres")
        settings.user = "postgres"
        let database = Database(settings: settings, logger: testLogger)
        try await database.whileRunning {
            _ = try await database.client.query(PostgresQuery(unsafeSQL: sql), logger: testLogger)
        }
    }

    static var testLogger: Logger {
        var logger = Logger(label: "trellis.test")
        logger.logLevel = .warning
        return logger
    }
}
