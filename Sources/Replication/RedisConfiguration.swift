/// Where and how to reach Redis.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Sent with `AUTH` after every (re)connect when set.
    public var password: String?
    /// Selected with `SELECT` after every (re)connect when not 0.
    public var database: Int
    /// Limit for one TCP connect attempt.
    public var connectTimeout: Duration
    /// Limit for one command's reply (blocking commands add their `BLOCK` time on top of this).
    public var commandTimeout: Duration
    /// How long one command keeps trying to (re)connect, with exponential backoff, before it fails with
    /// ``RedisError/Code/connectionFailed``.
    public var reconnectTimeout: Duration
    /// First delay between reconnect attempts; doubles up to ``maximumReconnectDelay``.
    public var initialReconnectDelay: Duration
    public var maximumReconnectDelay: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        reconnectTimeout: Duration = .seconds(10),
        initialReconnectDelay: Duration = .milliseconds(20),
        maximumReconnectDelay: Duration = .seconds(1)
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectTimeout = reconnectTimeout
        self.initialReconnectDelay = initialReconnectDelay
        self.maximumReconnectDelay = maximumReconnectDelay
    }
}
