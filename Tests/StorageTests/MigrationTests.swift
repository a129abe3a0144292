import Foundation
import HomeserverTesting
import Logging
import PostgresNIO
@testable import Storage
import Testing

@Suite("Migrations")
struct MigrationTests {
    @Test("bundled migrations are numbered 1, 2, 3… without gaps")
    func bundledMigrationsAreContiguous() throws {
        let migrations = try Migration.bundled()
        #expect(!migrations.isEmpty)
        #expect(migrations.map(\.version) == Array(1...migrations.count))
    }

    @Test("file names parse into version and name; other files are ignored")
    func fileNames() {
        #expect(Migration.parseFileName("0001_server_keys.sql").map { [String($0.version), $0.name] } == ["1", "server_keys"])
        #expect(Migration.parseFileName("12_add_thing.sql").map { [String($0.version), $0.name] } == ["12", "add_thing"])
        #expect(Migration.parseFileName("README.md") == nil)
        #expect(Migration.parseFileName("0000_zero.sql") == nil)
        #expect(Migration.parseFileName("abc_x.sql") == nil)
    }

    @Test("duplicate version numbers are refused")
    func duplicateVersions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("0001_a.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: directory.appendingPathComponent("01_b.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.duplicateVersion(1)) { try Migration.load(from: directory) }
    }

    @Test("a fresh database is migrated to the latest version, and a second run does nothing")
    func migrateTwice() async throws {
        try await PostgresTestDatabase.with { database in
            let runner = MigrationRunner(database: database, migrations: try Migration.bundled())
            #expect(try await runner.currentVersion() == 0)
            #expect(try await runner.isCurrent() == false)
            let applied = try await runner.migrate()
            #expect(applied.count == runner.latestVersion)
            #expect(try await runner.currentVersion() == runner.latestVersion)
            #expect(try await runner.migrate().isEmpty)
            #expect(try await runner.isCurrent())
            // The tables of the migrations exist.
            let rows = try await database.client.query("SELECT count(*) FROM server_keys")
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test("two runners started at once apply each migration exactly once")
    func concurrentRunners() async throws {
        let migrations = (1...5).map { version in
            Migration(
                version: version, name: "step\(version)",
                sql: "CREATE TABLE step\(version) (id INT); INSERT INTO step\(version) VALUES (\(version));"
            )
        }
        try await PostgresTestDatabase.with { database in
            let second = Database(settings: database.settings, logger: Logger(label: "trellis.test"))
            try await second.whileRunning {
                let firstRunner = MigrationRunner(database: database, migrations: migrations)
                let secondRunner = MigrationRunner(database: second, migrations: migrations)
                async let a = firstRunner.migrate()
                async let b = secondRunner.migrate()
                let (appliedByA, appliedByB) = try await (a, b)
                #expect(appliedByA.count + appliedByB.count == migrations.count)
                #expect(Set(appliedByA.map(\.version)).isDisjoint(with: appliedByB.map(\.version)))
            }
            let rows = try await database.client.query("SELECT count(*) FROM schema_versions")
            for try await count in rows.decode(Int.self) { #expect(count == migrations.count) }
        }
    }

    @Test("a database newer than the build is reported, not silently used")
    func databaseAhead() async throws {
        try await PostgresTestDatabase.with { database in
            let newer = [Migration(version: 1, name: "a", sql: "SELECT 1"), Migration(version: 2, name: "b", sql: "SELECT 1")]
            try await MigrationRunner(database: database, migrations: newer).migrate()
            let older = MigrationRunner(database: database, migrations: Array(newer.prefix(1)))
            await #expect(throws: MigrationError.databaseAhead(database: 2, build: 1)) { try await older.migrate() }
        }
    }

    @Test("a failing migration leaves no trace: its transaction rolls back")
    func failingMigrationRollsBack() async throws {
        try await PostgresTestDatabase.with { database in
            let migrations = [
                Migration(version: 1, name: "good", sql: "CREATE TABLE good (id INT)"),
                Migration(version: 2, name: "bad", sql: "CREATE TABLE half (id INT); SELECT no_such_column FROM good"),
            ]
            let runner = MigrationRunner(database: database, migrations: migrations)
            await #expect(throws: (any Error).self) { try await runner.migrate() }
            #expect(try await runner.currentVersion() == 1)
            let rows = try await database.client.query("SELECT to_regclass('half') IS NULL")
            for try await missing in rows.decode(Bool.self) { #expect(missing) }
        }
    }
}
