import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `redis-server` for tests: its own temporary directory and a free loopback port, persistent across
/// ``restart()`` (`appendonly yes`, `appendfsync always`), removed by ``cleanUp()`` (or when released).
///
/// ```swift
/// let redis = try await RedisServerProcess.start()
/// defer { redis.cleanUp() }
/// let configuration = RedisConfiguration(port: redis.port)
/// ```
///
/// The executable is `redis-server` from `PATH`, or `$REDIS_SERVER` when set.
public final class RedisServerProcess: @unchecked Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    public let directory: URL
    public let password: String?

    private let lock = NSLock()
    private var process: Process?
    private var cleanedUp = false

    private init(port: Int, directory: URL, password: String?) {
        self.port = port
        self.directory = directory
        self.password = password
    }

    deinit {
        cleanUp()
    }

    /// Starts a server and waits until it answers `PING`.
    public static func start(password: String? = nil, readinessTimeout: Duration = .seconds(20)) async throws
        -> RedisServerProcess
    {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("trellis-redis-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lastError: (any Error)?
        // The port is free when picked but could be taken before redis binds it: try a few.
        for _ in 0..<5 {
            let server = RedisServerProcess(port: try LoopbackPort.free(), directory: directory, password: password)
            do {
                try await server.launch(readinessTimeout: readinessTimeout)
                return server
            } catch {
                lastError = error
                server.stopProcess()
                server.cleanedUp = true  // keep the directory for the next attempt
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw lastError ?? RedisServerProcessError("could not start redis-server")
    }

    /// Whether the server process is running.
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return process?.isRunning ?? false
    }

    /// Stops the server gracefully (the `SHUTDOWN` command, which flushes the append-only file) and waits for it to
    /// exit. Falls back to SIGKILL after a few seconds. (Signals other than SIGKILL are not used: a child spawned from
    /// a dispatch worker thread inherits that thread's blocked signal mask, so it would ignore SIGTERM.)
    public func stop() async {
        guard let process = takeProcess() else { return }
        _ = Self.exchange(host: host, port: port, password: password, command: ["SHUTDOWN"], expect: "")
        if await !Self.waitForExit(process, timeout: .seconds(5)) {
            Self.forceKill(process)
            _ = await Self.waitForExit(process, timeout: .seconds(5))
        }
    }

    /// Kills the server abruptly (SIGKILL), as a crash would. With `appendfsync always` every acknowledged write
    /// survives it.
    public func kill() async {
        guard let process = takeProcess() else { return }
        Self.forceKill(process)
        _ = await Self.waitForExit(process, timeout: .seconds(5))
    }

    /// Stops the server and starts it again on the same port with the same data directory.
    public func restart(readinessTimeout: Duration = .seconds(20)) async throws {
        await stop()
        try await launch(readinessTimeout: readinessTimeout)
    }

    /// Stops the server (without waiting) and removes its directory. Idempotent.
    public func cleanUp() {
        stopProcess()
        lock.lock()
        let alreadyCleaned = cleanedUp
        cleanedUp = true
        lock.unlock()
        if !alreadyCleaned {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    // MARK: Internals

    private func takeProcess() -> Process? {
        lock.lock()
        defer { lock.unlock() }
        let process = self.process
        self.process = nil
        return process
    }

    private func setProcess(_ process: Process) {
        lock.lock()
        defer { lock.unlock() }
        self.process = process
    }

    /// Kills the process and waits (briefly, synchronously) for it to go away.
    private func stopProcess() {
        guard let process = takeProcess(), process.isRunning else { return }
        Self.forceKill(process)
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(1_000)  // polling for the exit, bounded by the deadline
        }
    }

    private static func forceKill(_ process: Process) {
        let pid = process.processIdentifier
        if pid > 0 && process.isRunning { sendSIGKILL(pid) }
    }

    /// Waits for the process to exit, up to `timeout`; returns whether it did.
    private static func waitForExit(_ process: Process, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var delay = Duration.milliseconds(2)
        while process.isRunning {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: delay)  // polling for the exit, bounded by the deadline
            delay = min(delay * 2, .milliseconds(50))
        }
        return true
    }

    private func launch(readinessTimeout: Duration) async throws {
        var arguments = [
            "--port", String(port),
            "--bind", host,
            "--dir", directory.path,
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        if let password { arguments += ["--requirepass", password] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executablePath())
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        setProcess(process)

        let deadline = ContinuousClock.now.advanced(by: readinessTimeout)
        var delay = Duration.milliseconds(5)
        while true {
            if Self.ping(host: host, port: port, password: password) { return }
            if !process.isRunning {
                _ = takeProcess()
                let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
                throw RedisServerProcessError("redis-server exited with \(process.terminationStatus): \(log.suffix(500))")
            }
            if ContinuousClock.now > deadline {
                await stop()
                throw RedisServerProcessError("redis-server on port \(port) not ready within \(readinessTimeout)")
            }
            try await Task.sleep(for: delay)  // poll interval while waiting on the condition above
            delay = min(delay * 2, .milliseconds(100))
        }
    }

    private static func executablePath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["REDIS_SERVER"], !explicit.isEmpty { return explicit }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RedisServerProcessError("redis-server not found on PATH (set REDIS_SERVER)")
    }

    /// Connects, sends `PING` (after `AUTH` when needed), and checks for `+PONG`. Never blocks for long.
    static func ping(host: String, port: Int, password: String?) -> Bool {
        exchange(host: host, port: port, password: password, command: ["PING"], expect: "+PONG\r\n")
    }

    /// Sends one command (after `AUTH` when needed) over a fresh socket and waits up to a second for `expect` in
    /// the reply; an empty `expect` only waits for the server to answer or close. Returns false on error replies.
    static func exchange(host: String, port: Int, password: String?, command: [String], expect: String) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        func encode(_ arguments: [String]) -> String {
            "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
        }
        var request = ""
        if let password { request += encode(["AUTH", password]) }
        request += encode(command)
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return false }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while received.count < 4096 {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return expect.isEmpty }
            received += buffer[0..<count]
            let text = String(decoding: received, as: UTF8.self)
            if text.hasPrefix("-") || text.contains("\r\n-") { return false }  // LOADING, NOAUTH…
            if !expect.isEmpty && text.contains(expect) { return true }
        }
        return false
    }
}

private func sendSIGKILL(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}

public struct RedisServerProcessError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
