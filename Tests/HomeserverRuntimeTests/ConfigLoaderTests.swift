import Foundation
@testable import HomeserverRuntime
import Testing

@Suite("Configuration")
struct ConfigLoaderTests {
    static var exampleFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/trellis.example.yaml").path
    }

    @Test("the example file documents exactly the defaults")
    func exampleMatchesDefaults() throws {
        let example = try ConfigLoader.load(path: Self.exampleFile, environment: [:])
        let defaults = try ConfigLoader.load(yaml: "", environment: [:])
        #expect(example == defaults)
    }

    @Test("every key of the defaults appears in the example file")
    func exampleListsEveryKey() throws {
        let example = try String(contentsOfFile: Self.exampleFile, encoding: .utf8)
        for line in TrellisConfig.defaultsYAML.split(separator: "\n") {
            let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
            #expect(example.contains("\n" + line.prefix { $0 == " " } + key + ":"), "\(key) is not documented")
        }
    }

    @Test("file values override defaults, section by section")
    func fileOverrides() throws {
        let config = try ConfigLoader.load(
            yaml: """
                server_name: example.org
                database:
                  port: 6543
                """,
            environment: [:]
        )
        #expect(config.serverName == "example.org")
        #expect(config.database.port == 6543)
        #expect(config.database.host == "127.0.0.1")
        #expect(config.redis.port == 6379)
    }

    @Test("TRELLIS__ environment variables override the file")
    func environmentOverrides() throws {
        let config = try ConfigLoader.load(
            yaml: "server_name: example.org\nworker:\n  name: from-file\n",
            environment: [
                "TRELLIS__WORKER__NAME": "client-api-7",
                "TRELLIS__WORKER__LISTEN_PORT": "8101",
                "TRELLIS__DATABASE__PASSWORD": "s3cret",
                "TRELLIS__SERVER_NAME": "matrix.example.org",
                "TRELLIS_UNRELATED": "ignored",
                "PATH": "/usr/bin",
            ]
        )
        #expect(config.worker.name == "client-api-7")
        #expect(config.worker.listenPort == 8101)
        #expect(config.database.password == "s3cret")
        #expect(config.serverName == "matrix.example.org")
    }

    @Test("the Helm chart's per-pod settings: shard index and count, database TLS")
    func chartSettings() throws {
        let config = try ConfigLoader.load(
            yaml: "database: { tls_mode: verify-full, tls_ca_file: /etc/trellis/database-ca/ca.crt }\n",
            environment: ["TRELLIS__WORKER__SHARD_INDEX": "2", "TRELLIS__WORKER__SHARD_COUNT": "4"]
        )
        #expect(config.worker.shardIndex == 2)
        #expect(config.worker.shardCount == 4)
        #expect(config.databaseSettings.tls == .verifyFull(caFile: "/etc/trellis/database-ca/ca.crt"))
        let plain = try ConfigLoader.load(yaml: "", environment: [:])
        #expect(plain.databaseSettings.tls == .disable)
        #expect(plain.worker.shardIndex == 0 && plain.worker.shardCount == 1)
    }

    @Test("unknown keys in the file or the environment are errors, all reported together")
    func unknownKeys() {
        #expect {
            try ConfigLoader.load(
                yaml: "server_nmae: x\ndatabase:\n  hots: db\n",
                environment: ["TRELLIS__REDIS__PROT": "1"]
            )
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.count == 3
                && problems.contains("unknown key server_nmae")
                && problems.contains("unknown key database.hots")
                && problems.contains("environment variable TRELLIS__REDIS__PROT names no configuration key")
        }
    }

    @Test("invalid values are all reported together")
    func invalidValues() {
        #expect {
            try ConfigLoader.load(
                yaml: """
                    server_name: "not a server name"
                    worker: { listen_port: 70000, metrics_port: 9000 }
                    logging: { level: loud, format: xml }
                    limits: { max_request_body_bytes: 10 }
                    """,
                environment: [:]
            )
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.count == 5
        }
        #expect {
            try ConfigLoader.load(
                yaml: """
                    worker: { shard_index: 3, shard_count: 3 }
                    database: { tls_mode: sometimes }
                    """,
                environment: [:]
            )
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.count == 2 && problems.contains { $0.hasPrefix("worker.shard_index") }
                && problems.contains { $0.hasPrefix("database.tls_mode") }
        }
    }

    @Test("TURN URIs need a turn:/turns:/stun: scheme and credentials; lifetimes must be positive")
    func turnProblems() throws {
        #expect {
            try ConfigLoader.load(
                yaml: "turn: { uris: [\"http://turn.example\"], username: u, user_lifetime_seconds: 0 }",
                environment: [:]
            )
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.count == 3 && problems.allSatisfy { $0.hasPrefix("turn.") }
        }
        let config = try ConfigLoader.load(
            yaml: "turn: { uris: [\"turns:turn.example:5349\"], username: u, password: p }", environment: [:]
        )
        #expect(config.turn.uris == ["turns:turn.example:5349"])
        #expect(config.turn.userLifetimeSeconds == 86400)
    }

    @Test("a value of the wrong type names its key")
    func wrongType() {
        #expect {
            try ConfigLoader.load(yaml: "database:\n  port: lots\n", environment: [:])
        } throws: { error in
            (error as? ConfigError)?.problems.first?.hasPrefix("database.port") == true
        }
    }

    @Test("a missing file is reported with its path")
    func missingFile() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/trellis.yaml", environment: [:])
        } throws: { error in
            (error as? ConfigError)?.problems.first?.contains("/nonexistent/trellis.yaml") == true
        }
    }

    @Test("--config wins over TRELLIS_CONFIG")
    func configPath() {
        #expect(HomeserverRuntime.configPath(arguments: ["trellis-sync", "--config", "/etc/t.yaml"]) == "/etc/t.yaml")
    }
}
