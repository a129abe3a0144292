import PostgresNIO

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
    /// Whether and how connections are encrypted.
    public var tls: DatabaseTLS

    public init(
        host: String = "127.0.0.1",
        port: Int = 5432,
        user: String = "trellis",
        password: String? = nil,
        database: String = "trellis",
        maxConnections: Int = 20,
        connectTimeout: Duration = .seconds(10),
        tls: DatabaseTLS = .disable
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
        self.tls = tls
    }
}

/// TLS to PostgreSQL, named as libpq's `sslmode` values are.
public enum DatabaseTLS: Sendable, Equatable {
    /// Plain TCP.
    case disable
    /// TLS when the server offers it, plain TCP otherwise; the certificate is not checked.
    case prefer
    /// TLS always; the certificate is not checked (protects against eavesdropping only).
    case require
    /// TLS always, with the certificate chain checked against `caFile` (PEM) or the system's
    /// roots, and the host name checked against the certificate.
    case verifyFull(caFile: String?)
}

extension DatabaseTLS {
    var postgresTLS: PostgresClient.Configuration.TLS {
        switch self {
        case .disable:
            return .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return self == .prefer ? .prefer(configuration) : .require(configuration)
        case .verifyFull(let caFile):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let caFile { configuration.trustRoots = .file(caFile) }
            return .require(configuration)
        }
    }
}
