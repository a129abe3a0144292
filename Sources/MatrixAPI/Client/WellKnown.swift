/// `GET /.well-known/matrix/client`: where clients find the homeserver.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#getwell-knownmatrixclient
public enum WellKnownClient {
    public static let path = "/.well-known/matrix/client"

    public struct Response: Codable, Sendable, Equatable {
        public struct Homeserver: Codable, Sendable, Equatable {
            public var baseURL: String
            enum CodingKeys: String, CodingKey { case baseURL = "base_url" }
        }

        public var homeserver: Homeserver

        public init(baseURL: String) { homeserver = Homeserver(baseURL: baseURL) }

        enum CodingKeys: String, CodingKey { case homeserver = "m.homeserver" }
    }
}

/// `GET /.well-known/matrix/server`: delegates federation to another host and port.
///
/// Spec: https://spec.matrix.org/v1.16/server-server-api/#getwell-knownmatrixserver
public enum WellKnownServer {
    public static let path = "/.well-known/matrix/server"

    public struct Response: Codable, Sendable, Equatable {
        /// `host[:port]` that serves federation for this server name.
        public var server: String

        public init(server: String) { self.server = server }

        enum CodingKeys: String, CodingKey { case server = "m.server" }
    }
}
