/// Where and how to reach the PostgreSQL database that holds the homeserver's truth.
public struct DatabaseSettings: Sendable, Equatable {
    /// Host name or IP address of the server.
    public var host: String
    /// TCP port of the server.
    public var port: Int
    /// Role to log in as.
    public var user: String
    /// Password of `user`; `nil` for trust or peer authentication.
    public var password: String?
    /// Database name.
    public var database: String
    /// Upper bound of pooled connections held by one worker process.
    public var maxConnections: Int
    /// How long to wait for a new connection before a query fails.
    public var connectTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 5432,
        user: String = "trellis",
        password: String? = nil,
        database: String = "trellis",
        maxConnections: Int = 20,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
    }
}
