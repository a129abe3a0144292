import Foundation
import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import MatrixCrypto
import Metrics
import Replication
import ServiceLifecycle
import Storage

/// The services of one worker process, in dependency order.
public struct WorkerServices {
    let kind: WorkerKind
    let config: TrellisConfig
    let logger: Logger
    let database: Database
    let redis: RedisConnection
    let services: [any Service]

    public init(kind: WorkerKind, config: TrellisConfig, observability: Observability, logger: Logger) throws {
        self.kind = kind
        self.config = config
        self.logger = logger
        let signingKey = try SigningKeyLoader.load(path: config.signingKeyPath)
        database = Database(settings: config.databaseSettings, logger: logger)
        redis = RedisConnection(configuration: config.redisConfiguration, logger: logger)

        let migrations = MigrationRunner(database: database, migrations: try Migration.bundled())
        let redisHealth = RedisHealthMonitor(connection: redis, logger: logger)
        let ops = OpsRoutes(checks: Self.readinessChecks(database: database, migrations: migrations, redis: redisHealth)) {
            observability.renderMetrics()
        }
        // The media worker streams uploads to the file store under its own limit, and marks
        // every response with the media security headers.
        let apiSettings = MatrixHTTPServer.ListenerSettings(
            host: config.worker.listenHost,
            port: config.worker.listenPort,
            maxRequestBodyBytes: kind == .media ? nil : config.limits.maxRequestBodyBytes,
            workerKind: kind.rawValue,
            responseHeaders: kind == .media ? MediaAssembly.responseHeaders : [:]
        )
        var opsSettings = apiSettings
        opsSettings.port = config.worker.metricsPort
        opsSettings.maxRequestBodyBytes = config.limits.maxRequestBodyBytes
        opsSettings.responseHeaders = [:]

        let opsRouter = MatrixHTTPServer.makeRouter(settings: opsSettings)
        ops.register(on: opsRouter, includeMetrics: true)
        // The monitor pings Redis every few seconds for `trellis_redis_up`, between readiness probes too.
        var services: [any Service] = [database.client, redisHealth]
        if kind.servesTraffic {
            let apiRouter = MatrixHTTPServer.makeRouter(settings: apiSettings)
            ops.register(on: apiRouter, includeMetrics: false)
            services += try Self.registerRoutes(of: kind, on: apiRouter, config: config, signingKey: signingKey,
                                                database: database, redis: redis, logger: logger)
            services.append(MatrixHTTPServer.makeApplication(router: apiRouter, settings: apiSettings, name: "api", logger: logger))
        }
        services.append(MatrixHTTPServer.makeApplication(router: opsRouter, settings: opsSettings, name: "ops", logger: logger))
        self.services = services
        Self.recordInfo(kind: kind, worker: config.worker)
    }

    /// `trellis_worker_info{kind,version,shard_index,shard_count} 1`: what this process is, for
    /// dashboards and for joining with the metrics of its instance.
    static func recordInfo(kind: WorkerKind, worker: TrellisConfig.Worker) {
        Gauge(label: "trellis_worker_info", dimensions: [
            ("kind", kind.rawValue), ("version", TrellisVersion.current),
            ("shard_index", String(worker.shardIndex)), ("shard_count", String(worker.shardCount)),
        ]).record(1)
    }

    /// Runs every service until a termination signal, then shuts them down in reverse order.
    public func run() async throws {
        logger.info(
            "worker starting",
            metadata: [
                "kind": "\(kind.rawValue)", "listen": "\(config.worker.listenHost):\(config.worker.listenPort)",
                "metrics_port": "\(config.worker.metricsPort)", "version": "\(TrellisVersion.current)",
                "shard": "\(config.worker.shardIndex)/\(config.worker.shardCount)",
            ]
        )
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        defer { redis.close() }
        try await group.run()
        logger.info("worker stopped cleanly")
    }

    /// The API routes each worker kind serves (everything else answers `404 M_UNRECOGNIZED`), and
    /// the services that run beside them.
    static func registerRoutes(
        of kind: WorkerKind, on router: Router<MatrixRequestContext>, config: TrellisConfig, signingKey: ServerSigningKey,
        database: Database, redis: RedisConnection, logger: Logger
    ) throws -> [any Service] {
        switch kind {
        case .clientAPI:
            try ClientAPIAssembly(config: config, database: database, redis: redis, signingKey: signingKey, logger: logger)
                .register(on: router)
        case .sync:
            return try SyncAssembly(config: config, database: database, logger: logger).register(on: router)
        case .federationReader:
            let publisher = ServerKeyPublisher(serverName: config.serverName, signingKey: signingKey)
            FederationInfoRoutes(keyPublisher: publisher, implementationVersion: TrellisVersion.current)
                .register(on: router)
        case .media:
            try MediaAssembly(config: config, database: database, signingKey: signingKey, logger: logger)
                .register(on: router)
        case .federationSender, .push:
            break
        }
        return []
    }

    static func readinessChecks(
        database: Database, migrations: MigrationRunner, redis: RedisHealthMonitor
    ) -> [ReadinessCheck] {
        [
            ReadinessCheck(name: "postgres") { try await database.ping() },
            ReadinessCheck(name: "schema") {
                let current = try await migrations.currentVersion()
                // A newer schema is fine: during a rolling upgrade the new release migrates first
                // while this one keeps serving (migrations only add within a release series).
                guard current >= migrations.latestVersion else {
                    throw SchemaNotCurrent(database: current, expected: migrations.latestVersion)
                }
            },
            ReadinessCheck(name: "redis") { try await redis.check() },
        ]
    }
}

/// The database schema is older than this build expects; run `trellis migrate`.
struct SchemaNotCurrent: Error, CustomStringConvertible {
    let database: Int
    let expected: Int
    var description: String { "schema version \(database), expected \(expected): run `trellis migrate`" }
}
