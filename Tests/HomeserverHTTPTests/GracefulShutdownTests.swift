import HomeserverHTTP
import HomeserverTesting
import Hummingbird
import Logging
import ServiceLifecycle
import Testing

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test("a request in flight when shutdown starts still gets its answer; new connections are refused after")
    func finishesInFlightRequests() async throws {
        let port = try LoopbackPort.free()
        let settings = MatrixHTTPServer.ListenerSettings(
            host: "127.0.0.1", port: port, maxRequestBodyBytes: 1024, workerKind: "test"
        )
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let router = MatrixHTTPServer.makeRouter(settings: settings)
        router.get("/slow") { _, _ in
            startedContinuation.yield()
            try await Task.sleep(for: .seconds(1))
            return "finished"
        }
        var logger = Logger(label: "trellis.test")
        logger.logLevel = .warning
        let app = MatrixHTTPServer.makeApplication(router: router, settings: settings, name: "test", logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let server = Task { try await group.run() }

        let url = "http://127.0.0.1:\(port)/slow"
        // Listening once any request gets an HTTP answer (the root path answers 404).
        try await eventually(within: .seconds(60)) {
            try await Command.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "http://127.0.0.1:\(port)/"])
        }
        let request = Task { try await Command.run("/usr/bin/curl", ["-sS", "--max-time", "30", url]) }
        var iterator = started.makeAsyncIterator()
        await iterator.next()
        await group.triggerGracefulShutdown()

        #expect(try await request.value == "finished")
        try await server.value
        await #expect(throws: CommandError.self) {
            try await Command.run("/usr/bin/curl", ["-sS", "--max-time", "5", url])
        }
    }
}
