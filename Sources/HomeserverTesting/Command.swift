import Foundation

/// Runs external programs from tests and waits for them off the cooperative thread pool.
public enum Command {
    /// Runs `executable` with `arguments` and returns its standard output; throws on a non-zero exit.
    ///
    /// Grandchildren that outlive the command (servers it daemonizes) must not keep its output
    /// open, or this waits for them: redirect their output, as the cluster scripts do.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) async throws -> String {
        let child = try ChildProcess(
            executable, arguments, environment: environment, standardOutput: .pipe, standardError: .pipe
        )
        async let output = ChildProcess.readToEnd(child.standardOutput)
        async let errors = ChildProcess.readToEnd(child.standardError)
        let (standardOutput, standardError) = await (output, errors)
        let status = await child.wait()
        guard status == 0 else {
            throw CommandError(
                description: "\(executable) \(arguments.joined(separator: " ")) exited with \(status): "
                    + String(decoding: standardError.suffix(2000), as: UTF8.self)
                    + String(decoding: standardOutput.suffix(2000), as: UTF8.self)
            )
        }
        return String(decoding: standardOutput, as: UTF8.self)
    }
}

/// An external program failed; the description carries its exit status and output.
public struct CommandError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}
