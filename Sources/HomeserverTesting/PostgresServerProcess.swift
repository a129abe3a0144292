import Foundation

/// A PostgreSQL cluster of its own, for tests that stop and restart the server.
///
/// Initialised with `initdb` in a temporary directory and started with `pg_ctl` on a free
/// loopback port. As root the server runs as the `postgres` system user, since PostgreSQL
/// refuses to run as root. Most tests use the shared test cluster instead (`PostgresTestDatabase`).
public final class PostgresServerProcess: Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    public let directory: URL

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// Creates and starts a cluster with a `trellis` superuser role and database.
    public static func start() async throws -> PostgresServerProcess {
        let directory = URL(fileURLWithPath: "/var/tmp/trellis-test-postgres-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try await Command.run("/bin/chown", ["postgres:postgres", directory.path]) }
        let server = PostgresServerProcess(port: try LoopbackPort.free(), directory: directory)
        try await server.postgresTool(
            "initdb", ["-D", server.dataDirectory, "-U", "trellis", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        )
        try await server.startServer()
        try await server.postgresTool(
            "createdb", ["-h", server.host, "-p", String(server.port), "-U", "trellis", "trellis"]
        )
        return server
    }

    var dataDirectory: String { directory.appendingPathComponent("data").path }

    /// Stops the server (fast shutdown: open connections are closed).
    public func stop() async throws {
        try await postgresTool("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
    }

    /// Starts the stopped server again on the same port and data.
    public func startServer() async throws {
        try await postgresTool(
            "pg_ctl",
            [
                "-D", dataDirectory, "-l", directory.appendingPathComponent("postgres.log").path, "-w", "-t", "60",
                "-o", "-h \(host) -p \(port) -k \(directory.path) -c fsync=off", "start",
            ]
        )
    }

    /// Stops the server and removes its files.
    public func cleanUp() async {
        try? await stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func postgresTool(_ name: String, _ arguments: [String]) async throws {
        let binary = try Self.binDirectory().appendingPathComponent(name).path
        if getuid() == 0 {
            try await Command.run("/usr/sbin/runuser", ["-u", "postgres", "--", binary] + arguments)
        } else {
            try await Command.run(binary, arguments)
        }
    }

    /// The newest `/usr/lib/postgresql/N/bin`.
    static func binDirectory() throws -> URL {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        guard let newest = versions.compactMap(Int.init).max() else {
            throw CommandError(description: "PostgreSQL server binaries not found under \(root)")
        }
        return URL(fileURLWithPath: "\(root)/\(newest)/bin")
    }
}
