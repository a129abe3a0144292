import MatrixCore

/// `GET /_matrix/client/v3/voip/turnServer`: the TURN servers clients relay calls through.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#get_matrixclientv3voipturnserver
public struct TURNServer: Sendable, Equatable {
    /// `turn:`/`turns:` URIs, e.g. `turn:turn.example.org:3478?transport=udp`.
    public var uris: [String]
    public var username: String
    public var password: String
    /// How long clients may use the credentials, in seconds.
    public var lifetimeSeconds: Int

    public init(uris: [String], username: String, password: String, lifetimeSeconds: Int) {
        self.uris = uris
        self.username = username
        self.password = password
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// The response body; `{}` when no server is configured, which the spec allows.
    public static func response(for server: TURNServer?) -> JSONObject {
        guard let server else { return [:] }
        return [
            "uris": .array(server.uris.map(JSONValue.string)), "username": .string(server.username),
            "password": .string(server.password), "ttl": .integer(Int64(server.lifetimeSeconds)),
        ]
    }
}
