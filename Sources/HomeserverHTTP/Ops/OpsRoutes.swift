import Hummingbird
import MatrixCore

/// `GET /health`, `GET /ready` and `GET /metrics`: what Kubernetes and Prometheus call.
public struct OpsRoutes: Sendable {
    public let checks: [ReadinessCheck]
    /// Renders the Prometheus text exposition of this process's metrics.
    public let renderMetrics: @Sendable () -> String
    /// How long one readiness probe may take before it counts as failed.
    public let checkTimeout: Duration

    public init(
        checks: [ReadinessCheck],
        checkTimeout: Duration = .seconds(2),
        renderMetrics: @escaping @Sendable () -> String
    ) {
        self.checks = checks
        self.checkTimeout = checkTimeout
        self.renderMetrics = renderMetrics
    }

    /// Adds `/health` and `/ready` (and `/metrics` when `includeMetrics`) to a router.
    public func register(on router: Router<MatrixRequestContext>, includeMetrics: Bool) {
        router.get("/health") { _, _ in JSONValue.object(["status": "ok"]) }
        router.get("/ready") { _, _ in await readiness() }
        if includeMetrics {
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: renderMetrics()))
                )
            }
        }
    }

    /// Runs every check concurrently, each bounded by `checkTimeout`.
    func readiness() async -> Response {
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in checks {
                group.addTask { (check.name, await Self.failure(of: check, timeout: checkTimeout)) }
            }
            var results: [(String, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
        var report = JSONObject()
        for (name, failure) in results { report[name] = .string(failure ?? "ok") }
        let ready = results.allSatisfy { $0.1 == nil }
        return .json(
            ["status": .string(ready ? "ready" : "not ready"), "checks": .object(report)],
            status: ready ? .ok : .serviceUnavailable
        )
    }

    /// `nil` when the check passed in time, otherwise why not.
    static func failure(of check: ReadinessCheck, timeout: Duration) async -> String? {
        do {
            try await withDeadline(timeout, orThrow: { ProbeTimedOut(timeout: timeout) }) { try await check.probe() }
            return nil
        } catch {
            return String(describing: error)
        }
    }
}

/// A readiness probe did not answer in time.
struct ProbeTimedOut: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "timed out after \(timeout)" }
}
