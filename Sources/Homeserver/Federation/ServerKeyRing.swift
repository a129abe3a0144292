import FederationClient
import Logging
import MatrixCore
import Storage

/// The signing keys of remote servers, for checking their signed requests: from memory, else
/// from the database, else fetched from the server and stored for every worker.
public actor ServerKeyRing {
    let client: FederationHTTPClient
    let store: ServerKeyStore
    let logger: Logger
    private var known: [String: [String: (key: [UInt8], validUntil: Int64)]] = [:]

    public init(client: FederationHTTPClient, store: ServerKeyStore, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// The public key `keyID` of `server`, valid now; `nil` when the server does not publish it.
    public func key(_ keyID: String, of server: ServerName) async throws -> [UInt8]? {
        let now = unixMilliseconds()
        if let known = known[server.description]?[keyID], known.validUntil > now { return known.key }
        let stored = try await store.keys(of: server.description)
        remember(stored, of: server)
        if let known = known[server.description]?[keyID], known.validUntil > now { return known.key }

        let fetched = try await client.serverKeys(of: server)
        let keys = fetched.verifyKeys.map { keyID, key in
            StoredServerKey(keyID: keyID, verifyKey: Base64.encodeUnpadded(key), validUntil: fetched.validUntil)
        }
        try await store.save(keys, of: server.description, documentJSON: fetched.documentJSON)
        remember(keys, of: server)
        logger.info("fetched server keys", metadata: ["server": "\(server)", "keys": "\(keys.map(\.keyID))"])
        return known[server.description]?[keyID].flatMap { $0.validUntil > now ? $0.key : nil }
    }

    private func remember(_ keys: [StoredServerKey], of server: ServerName) {
        for key in keys {
            guard let bytes = Base64.decode(key.verifyKey) else { continue }
            known[server.description, default: [:]][key.keyID] = (bytes, key.validUntil)
        }
    }
}
