/// `GET /_matrix/client/versions`: the spec versions this server speaks.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#get_matrixclientversions
public enum ClientVersions {
    public static let path = "/_matrix/client/versions"

    public struct Response: Codable, Sendable, Equatable {
        public var versions: [String]
        public var unstableFeatures: [String: Bool]

        public init(versions: [String], unstableFeatures: [String: Bool] = [:]) {
            self.versions = versions
            self.unstableFeatures = unstableFeatures
        }

        enum CodingKeys: String, CodingKey {
            case versions
            case unstableFeatures = "unstable_features"
        }
    }

    /// The Client-Server spec releases Trellis implements, oldest first.
    public static let supported: [String] = [
        "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
        "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12",
    ]
}
