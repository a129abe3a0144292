/// `GET /_matrix/federation/v1/version`: the implementation name and version.
///
/// Spec: https://spec.matrix.org/v1.16/server-server-api/#get_matrixfederationv1version
public enum FederationVersion {
    public static let path = "/_matrix/federation/v1/version"

    public struct Response: Codable, Sendable, Equatable {
        public struct Server: Codable, Sendable, Equatable {
            public var name: String
            public var version: String
        }

        public var server: Server

        public init(name: String, version: String) { server = Server(name: name, version: version) }
    }
}
