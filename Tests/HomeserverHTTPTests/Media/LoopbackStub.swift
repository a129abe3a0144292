import HomeserverTesting
import Hummingbird

/// Serves the router `makeRouter` builds for its base URL on a free loopback port while `body`
/// runs with that URL: a stand-in for another server on the network (a federation origin, a web
/// page to preview).
func withLoopbackStub(
    _ makeRouter: (String) throws -> Router<BasicRequestContext>, _ body: @Sendable (String) async throws -> Void
) async throws {
    let port = try LoopbackPort.free()
    let router = try makeRouter("http://127.0.0.1:\(port)")
    try await whileListening(on: port, router: router) { try await body("http://127.0.0.1:\(port)") }
}

/// Serves `router` on `port` of 127.0.0.1 while `body` runs, from the moment it listens. A
/// listener that cannot start (the port was taken meanwhile) fails the call instead of leaving
/// `body` waiting.
func whileListening<Context: RequestContext>(
    on port: Int, router: Router<Context>, _ body: @Sendable () async throws -> Void
) async throws where Context.Source == ApplicationRequestContextSource {
    let (events, listening) = AsyncStream.makeStream(of: Void.self)
    let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                                  onServerRunning: { _ in listening.yield() })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { listening.finish() }
            try await application.run()
        }
        var started = false
        for await _ in events {
            started = true
            break
        }
        guard started else {
            try await group.next()
            throw ListenerDidNotStart(port: port)
        }
        try await body()
        group.cancelAll()
    }
}

struct ListenerDidNotStart: Error, CustomStringConvertible {
    var port: Int
    var description: String { "the test listener on port \(port) stopped before it listened" }
}
