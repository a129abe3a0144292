import MatrixCore
import MatrixCrypto

/// A server's published signing keys, checked against their own signatures.
public struct RemoteServerKeys: Sendable, Equatable {
    public var serverName: String
    /// Key ID (`ed25519:abc`) to public key.
    public var verifyKeys: [String: [UInt8]]
    /// Until when the keys may be used without fetching them again (ms since the epoch).
    public var validUntil: Int64
    /// The signed document they came from, as received.
    public var documentJSON: String
}

/// Why a key document was refused.
public struct ServerKeyError: Error, CustomStringConvertible {
    public var server: String
    public var reason: String
    public var description: String { "keys of \(server): \(reason)" }
}

extension FederationHTTPClient {
    /// Fetches `server`'s own key document (`GET /_matrix/key/v2/server`) and checks that it
    /// names the server and is signed by every key it lists.
    public func serverKeys(of server: ServerName) async throws -> RemoteServerKeys {
        let response = try await get(server, "/_matrix/key/v2/server", signed: false, maxBytes: 1 << 20)
        guard response.status == 200, let document = (try? JSONValue(parsing: response.body))?.objectValue else {
            throw ServerKeyError(server: server.description, reason: "status \(response.status), no key document")
        }
        guard document["server_name"]?.stringValue == server.description else {
            throw ServerKeyError(server: server.description, reason: "the document names another server")
        }
        var keys: [String: [UInt8]] = [:]
        for (keyID, value) in document["verify_keys"]?.objectValue ?? [:] {
            guard let encoded = value["key"]?.stringValue, let key = Base64.decode(encoded), key.count == 32 else {
                throw ServerKeyError(server: server.description, reason: "malformed key \(keyID)")
            }
            keys[keyID] = key
        }
        guard !keys.isEmpty else { throw ServerKeyError(server: server.description, reason: "no verify_keys") }
        for (keyID, key) in keys {
            do {
                try JSONSigning.verify(document, serverName: server.description, keyID: keyID, publicKey: key)
            } catch {
                throw ServerKeyError(server: server.description, reason: "not signed by \(keyID): \(error)")
            }
        }
        return RemoteServerKeys(serverName: server.description, verifyKeys: keys,
                                validUntil: document["valid_until_ts"]?.integerValue ?? 0,
                                documentJSON: String(decoding: response.body, as: UTF8.self))
    }
}
