import HomeserverTesting
import Logging
import Storage
import Testing

@Suite("PostgreSQL reconnection")
struct ReconnectTests {
    @Test("the pool serves queries again after the server restarts", .timeLimit(.minutes(3)))
    func reconnectsAfterRestart() async throws {
        let server = try await PostgresServerProcess.start()
        do {
            let settings = DatabaseSettings(
                host: server.host, port: server.port, user: "trellis", database: "trellis",
                maxConnections: 4, connectTimeout: .seconds(2)
            )
            var logger = Logger(label: "trellis.test")
            logger.logLevel = .critical
            let database = Database(settings: settings, logger: logger)
            try await database.whileRunning {
                try await database.ping()
                try await server.stop()
                // While the server is down a probe fails within its deadline: with DatabaseUnavailable
                // when the pool waits for a connection, or the connection error when one was refused.
                await #expect(throws: (any Error).self) { try await database.ping(timeout: .seconds(2)) }
                try await server.startServer()
                try await eventually(within: .seconds(60)) { try await database.ping(timeout: .seconds(2)) }
            }
        } catch {
            await server.cleanUp()
            throw error
        }
        await server.cleanUp()
    }
}
