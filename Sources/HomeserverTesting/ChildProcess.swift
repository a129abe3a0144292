import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process started with `posix_spawn`, for servers and tools that tests run.
///
/// Foundation's `Process` is avoided on purpose: on Linux its `waitUntilExit()` can spin
/// forever when SIGCHLD is handled elsewhere in the test process, and its children inherit the
/// signal mask of whichever thread spawned them (test threads block SIGTERM, so a server started
/// from one would ignore `kill`). Here the child gets an empty mask and default handlers, and
/// `wait()` is a blocking `waitpid` on a thread of its own.
public final class ChildProcess: Sendable {
    /// Where a standard stream of the child goes.
    public enum Output: Sendable {
        case discard
        case pipe
        case appendToFile(String)
    }

    public let pid: pid_t
    /// Held while pipes are made and children spawned: a pipe is close-on-exec only once
    /// `fcntl` marked it, and a child another test thread spawned before that would inherit its
    /// write end; a long-lived one (a server) would then keep the pipe open and its reader
    /// would never see the end.
    private static let spawnLock = NSLock()
    /// Read ends of the pipes requested with `.pipe`, in the order stdout, stderr.
    let standardOutput: FileHandle?
    let standardError: FileHandle?

    /// Starts `executable` with `arguments`; `environment` entries are added to this process's.
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        standardOutput stdout: Output = .discard,
        standardError stderr: Output = .discard
    ) throws {
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let outPipe = try Self.redirect(stdout, to: 1, actions: &actions)
        let errPipe = try Self.redirect(stderr, to: 2, actions: &actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let fullEnvironment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = fullEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // The parent keeps only the read ends.
        for ends in [outPipe, errPipe].compactMap({ $0 }) { close(ends.write) }
        guard result == 0 else {
            for ends in [outPipe, errPipe].compactMap({ $0 }) { close(ends.read) }
            throw CommandError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        standardOutput = outPipe.map { FileHandle(fileDescriptor: $0.read, closeOnDealloc: true) }
        standardError = errPipe.map { FileHandle(fileDescriptor: $0.read, closeOnDealloc: true) }
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the child to exit, off the cooperative pool, and returns its exit status
    /// (128 + signal number when a signal ended it).
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [pid] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                let signal = status & 0x7f
                continuation.resume(returning: signal == 0 ? (status >> 8) & 0xff : 128 + signal)
            }
        }
    }

    /// Reads a pipe to its end on a thread of its own.
    static func readToEnd(_ handle: FileHandle?) async -> Data {
        guard let handle else { return Data() }
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    private static func redirect(
        _ output: Output, to descriptor: Int32, actions: inout posix_spawn_file_actions_t
    ) throws -> (read: Int32, write: Int32)? {
        switch output {
        case .discard:
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            return nil
        case .appendToFile(let path):
            posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            return nil
        case .pipe:
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw CommandError(description: "pipe() failed") }
            // Close-on-exec keeps the pipe out of grandchildren that outlive the child.
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
            posix_spawn_file_actions_adddup2(&actions, ends[1], descriptor)
            return (ends[0], ends[1])
        }
    }
}
