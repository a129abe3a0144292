import HomeserverHTTP
import Hummingbird
import HummingbirdTesting
import MatrixCore
import Testing

@Suite("Health, readiness and metrics")
struct OpsRoutesTests {
    struct Down: Error {}

    @Test("/health answers while the process lives")
    func health() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("/ready is 200 when every check passes")
    func ready() async throws {
        var app = TestApplication()
        app.checks = [ReadinessCheck(name: "postgres") {}, ReadinessCheck(name: "redis") {}]
        try await app.run { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                let json = try response.json
                #expect(json["checks"]?["postgres"]?.stringValue == "ok")
            }
        }
    }

    @Test("/ready is 503 naming the failing check, and a hanging check times out")
    func notReady() async throws {
        var app = TestApplication()
        app.checks = [
            ReadinessCheck(name: "postgres") {},
            ReadinessCheck(name: "redis") { throw Down() },
            ReadinessCheck(name: "schema") { try await Task.sleep(for: .seconds(3600)) },
        ]
        try await app.run { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let checks = try response.json["checks"]
                #expect(checks?["postgres"]?.stringValue == "ok")
                #expect(checks?["redis"]?.stringValue != "ok")
                #expect(checks?["schema"]?.stringValue?.hasPrefix("timed out") == true)
            }
        }
    }

    @Test("/metrics serves the Prometheus text format")
    func metrics() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body) == "metric_total 1\n")
            }
        }
    }
}
