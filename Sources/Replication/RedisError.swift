/// An error from ``RedisConnection`` or the stream types built on it.
///
/// Match on ``code``; ``message`` is for humans and logs.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case connectionFailed, connectionLost, timeout, server, closed, unexpectedReply, invalidArgument
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Could not (re)connect to Redis within ``RedisConfiguration/reconnectTimeout``.
        /// The command was not sent.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection dropped while a command that is not retried was in flight.
        /// The command may or may not have been executed by Redis.
        public static let connectionLost = Code(.connectionLost)
        /// No reply within the command timeout. The command may or may not have been executed.
        public static let timeout = Code(.timeout)
        /// Redis answered with an error reply (`-ERR …`, `-WRONGTYPE …`, `-NOGROUP …`).
        public static let server = Code(.server)
        /// The connection was closed by ``RedisConnection/close()``.
        public static let closed = Code(.closed)
        /// The reply did not have the shape the command promises.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// The arguments were rejected before anything was sent.
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String {
            switch base {
            case .connectionFailed: "connectionFailed"
            case .connectionLost: "connectionLost"
            case .timeout: "timeout"
            case .server: "server"
            case .closed: "closed"
            case .unexpectedReply: "unexpectedReply"
            case .invalidArgument: "invalidArgument"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// For ``Code/server`` errors, the error prefix Redis sends (`ERR`, `WRONGTYPE`, `BUSYGROUP`, `NOGROUP`…).
    public var serverErrorPrefix: String? {
        guard code == .server else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// Whether the error comes from the link to Redis rather than from Redis itself, so that trying again later
    /// (after Redis is back) can succeed.
    public var isConnectionError: Bool {
        code == .connectionFailed || code == .connectionLost || code == .timeout
    }

    public var description: String { "RedisError.\(code): \(message)" }
}
