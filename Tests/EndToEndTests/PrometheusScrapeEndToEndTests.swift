import Foundation
import HomeserverTesting
import MatrixCore
import Testing

/// `make run PROMETHEUS=1`: a real Prometheus scrapes every worker of the local cluster and
/// loads the rules of deploy/prometheus.
@Suite("Prometheus scraping the local cluster")
struct PrometheusScrapeEndToEndTests {
    static let workerKinds: Set<String> = ["client-api", "sync", "federation-reader", "federation-sender", "media", "push"]

    @Test("every worker is a target that is up, jobs are the worker kinds, the rules load and evaluate",
          .timeLimit(.minutes(5)))
    func scrape() async throws {
        let port = try LoopbackPort.free()
        let cluster = try await LocalCluster.start(replicas: ["sync": 2], prometheusPort: port)
        do {
            try await checkScrape(of: cluster, prometheus: "http://127.0.0.1:\(port)")
        } catch {
            await cluster.cleanUp()
            throw error
        }
        await cluster.cleanUp()
    }

    func checkScrape(of cluster: LocalCluster, prometheus: String) async throws {
        // Every worker, by its metrics port, is an active target whose last scrape succeeded.
        let targets = try await eventually(within: .seconds(60), pollInterval: .milliseconds(500)) {
            let targets = try await Self.query(prometheus + "/api/v1/targets?state=active")["activeTargets"]?.arrayValue ?? []
            guard targets.count == cluster.workers.count,
                  targets.allSatisfy({ $0["health"]?.stringValue == "up" }) else {
                throw CommandError(description: "targets not all up yet: \(targets.map { $0["health"]?.stringValue ?? "?" })")
            }
            return targets
        }
        let scraped = Set(targets.compactMap { $0["labels"]?["instance"]?.stringValue })
        #expect(scraped == Set(cluster.workers.map { "127.0.0.1:\($0.metricsPort)" }))
        let jobs = targets.compactMap { $0["labels"]?["job"]?.stringValue }
        #expect(Set(jobs) == Self.workerKinds)
        #expect(jobs.filter { $0 == "sync" }.count == 2)

        // `up` is 1 for every worker, and each says which kind it is under the job of that kind.
        let up = try await Self.query(prometheus + "/api/v1/query?query=up")["result"]?.arrayValue ?? []
        #expect(up.count == cluster.workers.count)
        #expect(up.allSatisfy { $0["value"]?.arrayValue?.last?.stringValue == "1" })
        let info = try await Self.query(prometheus + "/api/v1/query?query=trellis_worker_info")["result"]?.arrayValue ?? []
        #expect(info.count == cluster.workers.count)
        #expect(info.allSatisfy { $0["metric"]?["kind"] == $0["metric"]?["job"] })

        // The rule groups of deploy/prometheus/trellis-rules.yml are loaded and evaluate cleanly,
        // and once the first evaluations after the scrapes are in, no alert is pending or firing
        // (before the first scrape, "no target up" is rightly pending).
        try await eventually(within: .seconds(30), pollInterval: .milliseconds(500)) {
            let groups = try await Self.query(prometheus + "/api/v1/rules")["groups"]?.arrayValue ?? []
            let rules = groups.flatMap { $0["rules"]?.arrayValue ?? [] }
            let unhealthy = rules.filter { $0["health"]?.stringValue != "ok" }.map { $0["name"]?.stringValue ?? "?" }
            let active = rules.filter { $0["type"]?.stringValue == "alerting" && $0["state"]?.stringValue != "inactive" }
                .map { $0["name"]?.stringValue ?? "?" }
            guard !rules.isEmpty, unhealthy.isEmpty, active.isEmpty else {
                throw CommandError(description: "\(rules.count) rules; failing to evaluate: \(unhealthy); pending or firing: \(active)")
            }
        }
    }

    /// The `data` of a Prometheus HTTP API answer.
    static func query(_ url: String) async throws -> JSONValue {
        let response = try await Curl.request(url)
        let json = try response.json
        guard response.status == 200, json["status"]?.stringValue == "success", let data = json["data"] else {
            throw CommandError(description: "\(url): \(response.status) \(response.body.prefix(300))")
        }
        return data
    }
}
