import ArgumentParser
import Foundation
import HomeserverRuntime
import Logging
import Storage

/// `trellis migrate`: brings the database schema up to this build's version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (safe to run twice, and from several replicas at once)."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try ConfigLoader.load(path: options.path)
        var logger = Logger(label: "trellis.migrate")
        // postgres-nio warns when the first query is queued before the pool task is scheduled; harmless here.
        logger.logLevel = .error
        let database = Database(settings: config.databaseSettings, logger: logger)
        let runner = MigrationRunner(database: database, migrations: try Migration.bundled())
        try await database.whileRunning {
            let before = try await runner.currentVersion()
            print("schema version \(before), this build expects \(runner.latestVersion)")
            do {
                let applied = try await runner.migrate { migration in
                    print("applied \(String(format: "%04d", migration.version))_\(migration.name)")
                }
                print(applied.isEmpty ? "nothing to do" : "schema now at version \(runner.latestVersion)")
            } catch MigrationError.databaseAhead(let database, let build) {
                // A newer release migrated already (a rollback, or an old pod of a rolling
                // upgrade): this build runs on the newer schema, as its readiness check allows.
                print("schema version \(database) is newer than this build's \(build): nothing to do")
            }
        }
    }
}
