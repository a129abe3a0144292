/// `GET /_matrix/key/v2/server` and `POST /_matrix/key/v2/query`: published signing keys.
///
/// The response is signed JSON, so it is built as a `JSONObject` rather than a `Codable` type:
/// the signature covers the exact canonical form.
/// Spec: https://spec.matrix.org/v1.16/server-server-api/#publishing-keys
public enum ServerKeys {
    public static let path = "/_matrix/key/v2/server"
    public static let queryPath = "/_matrix/key/v2/query"
}
