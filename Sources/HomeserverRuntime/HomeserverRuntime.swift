import Foundation
import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import MatrixCrypto
import NIOCore
import Replication
import ServiceLifecycle
import Storage

/// Starts a worker: loads the configuration, bootstraps logging and metrics, connects to
/// PostgreSQL and Redis, and runs the worker's services until SIGTERM or SIGINT.
///
/// On a termination signal the HTTP listeners stop accepting, finish the requests in flight,
/// then the database pool closes (a `ServiceGroup` shuts down in reverse order).
public enum HomeserverRuntime {
    /// Entry point of every worker executable, called from a synchronous `main`.
    ///
    /// Tasks run on Swift Concurrency's default executor. NIO's event loops are not installed as
    /// the global executor: a job they run counts as running on the loop's serial executor, so
    /// every nonisolated async call then hops off and back on, dozens of hops per `/sync`
    /// response (a 10,000 long-poll fan-out took 2.5 s with them and 1.6 s without).
    public static func main(_ kind: WorkerKind) -> Never {
        let finished = DispatchSemaphore(value: 0)
        Task {
            await run(kind)
            finished.signal()
        }
        finished.wait()
        exit(0)
    }

    /// Runs a worker until it stops. Exits the process on a configuration error.
    public static func run(_ kind: WorkerKind, arguments: [String] = CommandLine.arguments) async {
        let path = configPath(arguments: arguments)
        let config: TrellisConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            FileHandle.standardError.write(Data("trellis-\(kind.rawValue): \(path): \(error)\n".utf8))
            exit(2)
        }
        let observability = Observability.bootstrap(logging: config.logging, instance: config.worker.name)
        let logger = Logger(label: "trellis.\(kind.rawValue)")
        do {
            let services = try WorkerServices(kind: kind, config: config, observability: observability, logger: logger)
            try await services.run()
        } catch {
            logger.critical("worker stopped", metadata: ["error": "\(error)"])
            exit(1)
        }
    }

    /// `--config PATH`, else `$TRELLIS_CONFIG`, else `trellis.yaml` in the working directory.
    static func configPath(arguments: [String]) -> String {
        if let flag = arguments.firstIndex(of: "--config"), arguments.indices.contains(flag + 1) {
            return arguments[flag + 1]
        }
        return ProcessInfo.processInfo.environment["TRELLIS_CONFIG"] ?? "trellis.yaml"
    }
}
