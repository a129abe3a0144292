import MatrixCore
import MatrixCrypto

/// Builds this server's self-signed key document, as served at `/_matrix/key/v2/server`.
///
/// Spec: https://spec.matrix.org/v1.16/server-server-api/#get_matrixkeyv2server
public struct ServerKeyPublisher: Sendable {
    public let serverName: String
    public let signingKey: ServerSigningKey
    /// How long remote servers may cache the key document.
    public let validity: Duration

    public init(serverName: String, signingKey: ServerSigningKey, validity: Duration = .seconds(24 * 3600)) {
        self.serverName = serverName
        self.signingKey = signingKey
        self.validity = validity
    }

    /// The signed key document, valid from `nowMilliseconds` for `validity`.
    public func keyDocument(nowMilliseconds: Int64) throws -> JSONObject {
        let validUntil = nowMilliseconds + validity.components.seconds * 1000
        let document: JSONObject = [
            "server_name": .string(serverName),
            "valid_until_ts": .integer(validUntil),
            "verify_keys": [
                signingKey.keyID: ["key": .string(Base64.encodeUnpadded(signingKey.key.publicKey))],
            ],
            "old_verify_keys": [:],
        ]
        return try JSONSigning.sign(document, serverName: serverName, keyID: signingKey.keyID, key: signingKey.key)
    }

    /// The answer to a batch key query: this server's document when it was asked for, nothing else.
    ///
    /// Keys of other servers need the federation client (notary role) and are omitted until then,
    /// which the spec allows: servers that could not be reached are simply absent.
    public func queryResponse(for criteria: JSONObject, nowMilliseconds: Int64) throws -> JSONObject {
        let asked = criteria["server_keys"]?.objectValue ?? [:]
        guard asked[serverName] != nil else { return ["server_keys": []] }
        return ["server_keys": [.object(try keyDocument(nowMilliseconds: nowMilliseconds))]]
    }
}
