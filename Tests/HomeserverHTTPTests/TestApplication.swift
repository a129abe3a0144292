import Homeserver
import HomeserverHTTP
import Hummingbird
import HummingbirdTesting
import MatrixCore
import MatrixCrypto

/// A Matrix listener with the production middleware stack and the routes under test, in memory.
struct TestApplication {
    static let maxBody = 64 * 1024
    let signingKey = ServerSigningKey.generate()
    var checks: [ReadinessCheck] = []
    var federationDelegate: String? = "matrix.example.org:443"

    func run(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let settings = MatrixHTTPServer.ListenerSettings(
            host: "127.0.0.1", port: 0, maxRequestBodyBytes: Self.maxBody, workerKind: "test-worker"
        )
        let router = MatrixHTTPServer.makeRouter(settings: settings)
        OpsRoutes(checks: checks, checkTimeout: .milliseconds(500)) { "metric_total 1\n" }
            .register(on: router, includeMetrics: true)
        ClientInfoRoutes(publicBaseURL: "https://matrix.example.org/", federationDelegate: federationDelegate)
            .register(on: router)
        FederationInfoRoutes(
            keyPublisher: ServerKeyPublisher(serverName: "example.org", signingKey: signingKey),
            implementationVersion: TrellisVersion.current
        ).register(on: router)
        MatrixHTTPServer.answerUnsupportedMethods(on: router)
        try await Application(router: router).test(.router, test)
    }
}

extension TestResponse {
    /// The body parsed with Trellis's own JSON parser.
    var json: JSONValue {
        get throws { try JSONValue(parsing: Array(body.readableBytesView)) }
    }

    var errcode: String? { (try? json)?["errcode"]?.stringValue }
}
