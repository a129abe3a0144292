import Foundation
import HomeserverTesting
import Synchronization

/// The real worker executables and nginx, started by `scripts/cluster.sh` exactly as `make run`
/// starts them, against the test PostgreSQL (a database of its own) and Redis.
struct LocalCluster {
    /// A worker process as recorded by the cluster script.
    struct Worker {
        var name: String
        var kind: String
        var apiPort: Int
        var metricsPort: Int
        var pid: Int32
    }

    let runDirectory: URL
    let databaseName: String
    let httpPort: Int
    let workers: [Worker]
    /// Largest body the workers accept; small so the test can exceed it cheaply.
    static let maxRequestBodyBytes = 65536
    /// Largest upload the media workers accept: larger than the body limit of the other workers.
    static let maxUploadBytes = 4 << 20

    var baseURL: String { "http://127.0.0.1:\(httpPort)" }

    /// Starts the cluster with `replicas[kind]` processes of each kind (1 by default), on the
    /// test Redis or the one at `redisPort`; with `prometheusPort`, also Prometheus scraping every
    /// worker there (`PROMETHEUS=1`, as `make run PROMETHEUS=1`), every `scrapeInterval`.
    static func start(
        replicas: [String: Int] = [:], redisPort: Int = TestEnvironment.redisPort,
        prometheusPort: Int? = nil, scrapeInterval: String = "1s"
    ) async throws -> LocalCluster {
        let root = TestEnvironment.repositoryRoot
        let bin = TestEnvironment.binaryDirectory
        let runDirectory = URL(fileURLWithPath: "/tmp/trellis-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let databaseName = try await PostgresTestDatabase.create()
        let keyPath = runDirectory.appendingPathComponent("signing.key").path
        try await Command.run(bin.appendingPathComponent("trellis").path, ["generate-signing-key", "--output", keyPath])
        let config = """
            server_name: localhost
            public_baseurl: http://127.0.0.1/
            signing_key_path: \(keyPath)
            database: { host: \(TestEnvironment.postgresHost), port: \(TestEnvironment.postgresPort), name: \(databaseName), max_connections: 5 }
            redis: { host: \(TestEnvironment.redisHost), port: \(redisPort) }
            limits: { max_request_body_bytes: \(maxRequestBodyBytes) }
            logging: { level: info, format: json }
            accounts: { registration_enabled: true, password_hash_operations: 1, password_hash_memory_kib: 8 }
            rate_limits: { message: null, registration: null, login: null, joins: null }
            media: { storage_path: \(runDirectory.appendingPathComponent("media").path), max_upload_bytes: \(maxUploadBytes) }
            """
        let configPath = runDirectory.appendingPathComponent("trellis.yaml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try await Command.run(bin.appendingPathComponent("trellis").path, ["migrate", "--config", configPath])

        let httpPort = try LoopbackPort.free()
        let portBase = try freePortBase(workers: 6 + replicas.values.reduce(0) { $0 + max(0, $1 - 1) })
        var environment = [
            "RUN_DIR": runDirectory.path, "BIN_DIR": bin.path,
            "HTTP_PORT": String(httpPort), "PORT_BASE": String(portBase),
        ]
        if let prometheusPort {
            environment["PROMETHEUS"] = "1"
            environment["PROMETHEUS_PORT"] = String(prometheusPort)
            environment["PROMETHEUS_INTERVAL"] = scrapeInterval
        }
        for (kind, count) in replicas {
            environment["REPLICAS_" + kind.uppercased().replacingOccurrences(of: "-", with: "_")] = String(count)
        }
        try await Command.run(
            root.appendingPathComponent("scripts/cluster.sh").path, ["start"], environment: environment
        )
        let workers = try String(contentsOf: runDirectory.appendingPathComponent("workers"), encoding: .utf8)
            .split(separator: "\n").map { line in
                let fields = line.split(separator: " ").map(String.init)
                let pid = try String(contentsOf: runDirectory.appendingPathComponent("pids/\(fields[0]).pid"), encoding: .utf8)
                return Worker(
                    name: fields[0], kind: fields[1], apiPort: Int(fields[2])!, metricsPort: Int(fields[3])!,
                    pid: Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))!
                )
            }
        return LocalCluster(runDirectory: runDirectory, databaseName: databaseName, httpPort: httpPort, workers: workers)
    }

    /// Stops every process by PID (SIGTERM) through the cluster script.
    func stop() async throws {
        try await Command.run(
            TestEnvironment.repositoryRoot.appendingPathComponent("scripts/cluster.sh").path, ["stop"],
            environment: ["RUN_DIR": runDirectory.path]
        )
    }

    /// Stops one worker and starts it again on the same ports, through the cluster script; returns
    /// once it is ready.
    func restart(_ workerName: String) async throws {
        try await Command.run(
            TestEnvironment.repositoryRoot.appendingPathComponent("scripts/cluster.sh").path, ["restart", workerName],
            environment: ["RUN_DIR": runDirectory.path, "BIN_DIR": TestEnvironment.binaryDirectory.path]
        )
    }

    /// Removes the database and the run directory.
    func cleanUp() async {
        try? await stop()
        try? await PostgresTestDatabase.drop(databaseName)
        try? FileManager.default.removeItem(at: runDirectory)
    }

    func log(of worker: Worker) throws -> String {
        try String(contentsOf: runDirectory.appendingPathComponent("logs/\(worker.name).log"), encoding: .utf8)
    }

    /// A base port where base+1…base+workers (API) and base+1001…base+1000+workers (metrics) are all free now.
    /// The block lies below Linux's ephemeral range (32768 and up), so that the connections and
    /// port-0 listeners of tests running alongside cannot take a port before the worker binds it,
    /// and no other cluster of this test process has been given any of its ports: two clusters
    /// starting at once could otherwise both find the same free ports before either binds them.
    static func freePortBase(workers: Int) throws -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 10000...30000)
            let ports = Set((1...workers).flatMap { [base + $0, base + 1000 + $0] })
            guard ports.allSatisfy(LoopbackPort.isFree) else { continue }
            let claimed = claimedPorts.withLock { claimed in
                guard claimed.isDisjoint(with: ports) else { return false }
                claimed.formUnion(ports)
                return true
            }
            if claimed { return base }
        }
        throw CommandError(description: "no free block of ports found")
    }

    /// The ports handed to clusters of this process so far (never reused: a run starts a few dozen clusters).
    private static let claimedPorts = Mutex<Set<Int>>([])
}
