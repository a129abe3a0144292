import Foundation
import HomeserverTesting
import MatrixCore
import MatrixCrypto
import Testing

/// Starts the real executables behind the real nginx and talks HTTP to them as a client would.
@Suite("Local cluster end to end", .serialized)
struct ClusterEndToEndTests {
    /// One path per line of config/routing.tsv, with the kind that must answer it.
    static func routingProbes() throws -> [(path: String, kind: String)] {
        let table = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("config/routing.tsv"), encoding: .utf8
        )
        let regexSamples = [
            #"^/_matrix/client/(r0|v3|unstable)/(sync|events)$"#: ["/_matrix/client/v3/sync", "/_matrix/client/r0/events"],
            #"^/_matrix/client/unstable/org\.matrix\.simplified_msc3575/sync$"#:
                ["/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"],
            #"^/_synapse/admin/v1/users/[^/]+/media$"#: ["/_synapse/admin/v1/users/%40a%3Ab/media"],
            #"^/_synapse/admin/v1/user/[^/]+/media/quarantine$"#: ["/_synapse/admin/v1/user/%40a%3Ab/media/quarantine"],
        ]
        var probes: [(String, String)] = []
        for line in table.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 3 else { continue }
            if fields[0] == "prefix" {
                probes.append((fields[1] + "trellis-probe", fields[2]))
            } else {
                let samples = try #require(regexSamples[fields[1]], "add a sample path for routing rule \(fields[1])")
                probes += samples.map { ($0, fields[2]) }
            }
        }
        return probes
    }

    @Test("every path reaches its worker through nginx; errors, keys and metrics work; SIGTERM stops cleanly")
    func cluster() async throws {
        // A Redis of its own: the replication metrics compare this cluster's stream positions,
        // which other tests' entries on a shared bus would mix with theirs.
        let redis = try await RedisServerProcess.start()
        let cluster = try await LocalCluster.start(redisPort: redis.port)
        do {
            try await checkRouting(cluster)
            try await checkEndpoints(cluster)
            try await checkErrors(cluster)
            try await checkMetrics(cluster)
            try await checkGracefulStop(cluster)
        } catch {
            await cluster.cleanUp()
            await redis.stop()
            throw error
        }
        await cluster.cleanUp()
        await redis.stop()
    }

    func checkRouting(_ cluster: LocalCluster) async throws {
        let probes = try Self.routingProbes()
        #expect(probes.count >= 11)
        for (path, kind) in probes {
            let response = try await Curl.request(cluster.baseURL + path)
            #expect(response.headers["x-trellis-worker"] == kind, "\(path) should reach \(kind)")
        }
    }

    func checkEndpoints(_ cluster: LocalCluster) async throws {
        let versions = try await Curl.request(cluster.baseURL + "/_matrix/client/versions")
        #expect(versions.status == 200)
        #expect(try versions.json["versions"]?.arrayValue?.isEmpty == false)

        let federation = try await Curl.request(cluster.baseURL + "/_matrix/federation/v1/version")
        #expect(federation.status == 200)
        #expect(try federation.json["server"]?["name"]?.stringValue == "Trellis")

        let adminVersion = try await Curl.request(cluster.baseURL + "/_synapse/admin/v1/server_version")
        #expect(adminVersion.status == 200)
        #expect(adminVersion.headers["x-trellis-worker"] == "client-api")
        #expect(try adminVersion.json["server_version"]?.stringValue?.isEmpty == false)

        let keys = try await Curl.request(cluster.baseURL + "/_matrix/key/v2/server")
        let document = try #require(try keys.json.objectValue)
        let keyFile = try String(contentsOf: cluster.runDirectory.appendingPathComponent("signing.key"), encoding: .utf8)
        let signingKey = try ServerSigningKey(fileContents: keyFile)
        try JSONSigning.verify(
            document, serverName: "localhost", keyID: signingKey.keyID, publicKey: signingKey.key.publicKey
        )
    }

    func checkErrors(_ cluster: LocalCluster) async throws {
        let unknown = try await Curl.request(cluster.baseURL + "/_matrix/client/v3/no/such/endpoint")
        #expect(unknown.status == 404)
        #expect(unknown.errcode == "M_UNRECOGNIZED")

        let notJSON = try await Curl.request(cluster.baseURL + "/_matrix/key/v2/query", method: "POST", body: Data("{oops".utf8))
        #expect(notJSON.status == 400)
        #expect(notJSON.errcode == "M_NOT_JSON")

        let huge = Data(repeating: UInt8(ascii: " "), count: LocalCluster.maxRequestBodyBytes + 1)
        let tooLarge = try await Curl.request(cluster.baseURL + "/_matrix/key/v2/query", method: "POST", body: huge)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.errcode == "M_TOO_LARGE")
    }

    func checkMetrics(_ cluster: LocalCluster) async throws {
        #expect(cluster.workers.count == 6)
        for worker in cluster.workers {
            let metrics = try await Curl.request("http://127.0.0.1:\(worker.metricsPort)/metrics")
            #expect(metrics.status == 200, "\(worker.name) /metrics")
            #expect(metrics.body.contains("process_resident_memory_bytes"), "\(worker.name) process metrics")
            #expect(metrics.body.contains("process_open_fds"), "\(worker.name) process metrics")
            let ready = try await Curl.request("http://127.0.0.1:\(worker.metricsPort)/ready")
            #expect(ready.status == 200, "\(worker.name) /ready: \(ready.body)")
        }
        let clientAPI = try #require(cluster.workers.first { $0.kind == "client-api" })
        let metrics = try await Curl.request("http://127.0.0.1:\(clientAPI.metricsPort)/metrics")
        #expect(metrics.body.contains(#"trellis_http_requests_total{route="/_matrix/client/versions",method="GET",status="200"}"#))
        #expect(metrics.body.contains("trellis_http_request_duration_seconds_bucket"))
        try await checkWorkerMetrics(cluster)
        try await checkReplicationMetrics(cluster)
    }

    /// Every worker says what it is, and reports its pool and the round trips its readiness
    /// checks made to PostgreSQL and Redis.
    func checkWorkerMetrics(_ cluster: LocalCluster) async throws {
        for worker in cluster.workers {
            let metrics = PrometheusText(try await Curl.request("http://127.0.0.1:\(worker.metricsPort)/metrics").body)
            #expect(metrics.value("trellis_worker_info", ["kind": worker.kind, "shard_index": "0", "shard_count": "1"]) == 1,
                    "\(worker.name) worker info")
            #expect(metrics.value("trellis_db_pool_connections_max") == 5, "\(worker.name) pool size")
            #expect(metrics.value("trellis_db_pool_connections_in_use").map { $0 >= 0 } == true, "\(worker.name) pool use")
            let schemaQueries = metrics.value("trellis_db_query_duration_seconds_count", ["query": "select_schema_version"])
            #expect((schemaQueries ?? 0) >= 1, "\(worker.name) query latency")
            #expect((metrics.value("trellis_redis_command_duration_seconds_count", ["command": "PING"]) ?? 0) >= 1,
                    "\(worker.name) Redis round trips")
            #expect(metrics.value("trellis_redis_up") == 1, "\(worker.name) Redis up")
        }
    }

    /// The client API reports the events stream's position it announced; the sync worker, which
    /// reads that stream, reaches the same position and reports how late the entry arrived.
    func checkReplicationMetrics(_ cluster: LocalCluster) async throws {
        let client = ClusterClient(baseURL: cluster.baseURL)
        let token = try await client.register("metrics")
        let created = try await client.call("POST", "createRoom", token: token, ["preset": "private_chat"])
        #expect(created.status == 200)
        let clientAPI = try #require(cluster.workers.first { $0.kind == "client-api" })
        let sync = try #require(cluster.workers.first { $0.kind == "sync" })
        let written = try #require(
            PrometheusText(try await Curl.request("http://127.0.0.1:\(clientAPI.metricsPort)/metrics").body)
                .value("trellis_stream_position", ["stream": "events"])
        )
        #expect(written > 0)
        let read = try await eventually(within: .seconds(10)) {
            let metrics = PrometheusText(try await Curl.request("http://127.0.0.1:\(sync.metricsPort)/metrics").body)
            guard metrics.value("trellis_replication_position", ["stream": "events"]) == written else {
                throw CommandError(description: "sync has not read position \(written) of the events stream yet")
            }
            return metrics
        }
        let lag = try #require(read.value("trellis_replication_lag_seconds", ["stream": "events"]))
        #expect(lag >= 0 && lag < 10)
        #expect((read.value("trellis_replication_consumed_total", ["stream": "events"]) ?? 0) >= 1)
    }

    func checkGracefulStop(_ cluster: LocalCluster) async throws {
        try await cluster.stop()
        for worker in cluster.workers {
            #expect(kill(worker.pid, 0) != 0, "\(worker.name) still running after stop")
            #expect(try cluster.log(of: worker).contains("worker stopped cleanly"), "\(worker.name) did not stop cleanly")
        }
        await #expect(throws: (any Error).self) { try await Curl.request(cluster.baseURL + "/_matrix/client/versions") }
    }
}
