import Foundation
import HomeserverTesting
import Logging
import MatrixCore
import MatrixCrypto
import Storage
import Testing

/// The `trellis` operator commands, run as the built executable.
@Suite("Operator CLI")
struct OperatorCLITests {
    static var trellis: String { TestEnvironment.binaryDirectory.appendingPathComponent("trellis").path }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs `body` with a config file (server `example.org`) naming a fresh, empty test database,
    /// and the database's name; removes both afterwards.
    static func withScratchDatabase(_ body: (_ configPath: String, _ databaseName: String) async throws -> Void) async throws {
        let directory = try temporaryDirectory()
        let databaseName = try await PostgresTestDatabase.create()
        func cleanUp() async {
            try? await PostgresTestDatabase.drop(databaseName)
            try? FileManager.default.removeItem(at: directory)
        }
        do {
            let configPath = directory.appendingPathComponent("trellis.yaml").path
            try """
                server_name: example.org
                database: { host: \(TestEnvironment.postgresHost), port: \(TestEnvironment.postgresPort), name: \(databaseName) }
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            try await body(configPath, databaseName)
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }

    @Test("generate-signing-key writes Synapse's format, private to its owner, and refuses to overwrite")
    func generateSigningKey() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("signing.key").path
        try await Command.run(Self.trellis, ["generate-signing-key", "--output", path])
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        let fields = contents.trimmingCharacters(in: .newlines).split(separator: " ")
        #expect(fields.count == 3)
        #expect(fields.first == "ed25519")
        #expect(fields.dropFirst().first?.hasPrefix("a_") == true)
        #expect(Base64.decode(String(fields.last ?? ""))?.count == 32)
        let key = try ServerSigningKey(fileContents: contents)
        #expect(key.keyID == "ed25519:" + String(fields[1]))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        await #expect(throws: CommandError.self) {
            try await Command.run(Self.trellis, ["generate-signing-key", "--output", path])
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == contents)
    }

    @Test("a key written by Synapse is read as the same key")
    func readsSynapseKey() async throws {
        // The spec appendix seed, in the file format Synapse writes.
        let synapseFile = "ed25519 a_abcd YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\n"
        let key = try ServerSigningKey(fileContents: synapseFile)
        #expect(key.keyID == "ed25519:a_abcd")
        #expect(Base64.encodeUnpadded(key.key.publicKey) == "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI")
    }

    @Test("config check accepts a good file and lists every problem of a bad one")
    func configCheck() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("signing.key").path
        try await Command.run(Self.trellis, ["generate-signing-key", "--output", keyPath])
        let good = directory.appendingPathComponent("good.yaml").path
        try "server_name: example.org\nsigning_key_path: \(keyPath)\n".write(toFile: good, atomically: true, encoding: .utf8)
        let output = try await Command.run(Self.trellis, ["config", "check", good])
        #expect(output.contains("ok"))

        let bad = directory.appendingPathComponent("bad.yaml").path
        try "server_name: 'bad name'\ndatabase:\n  prot: 1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        do {
            try await Command.run(Self.trellis, ["config", "check", bad])
            Issue.record("config check accepted a bad file")
        } catch let error as CommandError {
            #expect(error.description.contains("exited with 2"))
            #expect(error.description.contains("unknown key database.prot"))
        }
    }

    @Test("register-user creates an account in a migrated database, admin when asked, and refuses a taken name")
    func registerUser() async throws {
        try await Self.withScratchDatabase { configPath, databaseName in
            try await Command.run(Self.trellis, ["migrate", "--config", configPath])
            let output = try await Command.run(
                Self.trellis, ["register-user", "--config", configPath, "--user", "alice", "--password", "pw", "--admin"]
            )
            #expect(output.contains("registered @alice:example.org (server admin)"))
            do {
                try await Command.run(
                    Self.trellis, ["register-user", "--config", configPath, "--user", "@alice:example.org", "--password", "x"]
                )
                Issue.record("register-user registered a taken user ID")
            } catch let error as CommandError {
                #expect(error.description.contains("M_USER_IN_USE"))
            }

            let database = Database(settings: PostgresTestDatabase.settings(name: databaseName), logger: Logger(label: "test"))
            let alice = try await database.whileRunning { try await AccountStore(database: database).user("@alice:example.org") }
            #expect(alice?.isAdmin == true)
            #expect(alice?.passwordHash != nil)
        }
    }

    @Test("migrate on a schema a newer release left does nothing and succeeds (rollbacks, old init containers)")
    func migrateOnNewerSchema() async throws {
        try await Self.withScratchDatabase { configPath, databaseName in
            let bundled = try Migration.bundled()
            let latest = try #require(bundled.last?.version)
            let future = Migration(version: latest + 1, name: "from_a_newer_release", sql: "SELECT 1")
            let database = Database(settings: PostgresTestDatabase.settings(name: databaseName), logger: Logger(label: "test"))
            try await database.whileRunning {
                _ = try await MigrationRunner(database: database, migrations: bundled + [future]).migrate()
            }
            let output = try await Command.run(Self.trellis, ["migrate", "--config", configPath])
            #expect(output.contains("schema version \(future.version) is newer than this build's \(latest): nothing to do"))
        }
    }

    @Test("vectors verify prints a line per file and ends with the totals")
    func vectorsVerify() async throws {
        let vectors = ProcessInfo.processInfo.environment["TRELLIS_VECTORS_DIR"]
            ?? TestEnvironment.repositoryRoot.appendingPathComponent("../shared/vectors").path
        let output = try await Command.run(Self.trellis, ["vectors", "verify", vectors])
        let lines = output.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("canonical_json.json: ") })
        #expect(lines.contains { $0.hasPrefix("event_hashes.json: ") })
        let last = try #require(lines.last)
        #expect(last.hasSuffix(" passed, 0 failed"))
        #expect((Int(last.split(separator: " ").first ?? "") ?? 0) > 400)
    }

    @Test("vectors verify fails on a directory without vectors")
    func vectorsVerifyEmpty() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        await #expect(throws: CommandError.self) {
            try await Command.run(Self.trellis, ["vectors", "verify", directory.path])
        }
    }
}
