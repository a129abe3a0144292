import FederationClient
import Logging
import MatrixCore
import Storage

/// The signing keys of remote servers, for checking their signed requests: from memory, else
/// from the database, else fetched from the server and stored for every worker.
///
/// Anyone can name any origin and key ID in a request, so a key not in memory is looked up (in
/// the database, then at the server) at most once per ``refetchInterval`` per server, whatever
/// the outcome; callers asking while a lookup is under way wait for it instead of failing.
public actor ServerKeyRing {
    let client: FederationHTTPClient
    let store: ServerKeyStore
    let logger: Logger
    private var known: [String: [String: (key: [UInt8], validUntil: Int64)]] = [:]
    private var lastFetch: [String: ContinuousClock.Instant] = [:]
    /// The lookup of each server under way; callers asking meanwhile wait for it.
    private var lookups: [String: Task<[StoredServerKey], any Error>] = [:]
    static let refetchInterval: Duration = .seconds(60)

    public init(client: FederationHTTPClient, store: ServerKeyStore, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// The public key `keyID` of `server`, valid now; `nil` when the server does not publish it.
    public func key(_ keyID: String, of server: ServerName) async throws -> [UInt8]? {
        if let key = current(keyID, of: server) { return key }
        let name = server.description
        if let lookup = lookups[name] {
            remember(try await lookup.value, of: server)
            return current(keyID, of: server)
        }
        if let last = lastFetch[name], ContinuousClock.now - last < Self.refetchInterval { return nil }
        lastFetch[name] = .now
        let client = client, store = store, logger = logger
        let lookup = Task {
            try await Self.lookUp(keyID, of: server, client: client, store: store, logger: logger)
        }
        lookups[name] = lookup
        defer { lookups[name] = nil }
        remember(try await lookup.value, of: server)
        return current(keyID, of: server)
    }

    /// The server's keys from the database, and from the server itself (stored for every
    /// worker) when the database has no valid `keyID`.
    private static func lookUp(
        _ keyID: String, of server: ServerName, client: FederationHTTPClient, store: ServerKeyStore, logger: Logger
    ) async throws -> [StoredServerKey] {
        let stored = try await store.keys(of: server.description)
        if stored.contains(where: { $0.keyID == keyID && $0.validUntil > unixMilliseconds() }) { return stored }
        let fetched = try await client.serverKeys(of: server)
        let keys = fetched.verifyKeys.map { keyID, key in
            StoredServerKey(keyID: keyID, verifyKey: Base64.encodeUnpadded(key), validUntil: fetched.validUntil)
        }
        try await store.save(keys, of: server.description, documentJSON: fetched.documentJSON)
        logger.info("fetched server keys", metadata: ["server": "\(server)", "keys": "\(keys.map(\.keyID))"])
        return stored + keys
    }

    private func current(_ keyID: String, of server: ServerName) -> [UInt8]? {
        guard let entry = known[server.description]?[keyID], entry.validUntil > unixMilliseconds() else { return nil }
        return entry.key
    }

    private func remember(_ keys: [StoredServerKey], of server: ServerName) {
        for key in keys {
            guard let bytes = Base64.decode(key.verifyKey) else { continue }
            known[server.description, default: [:]][key.keyID] = (bytes, key.validUntil)
        }
    }
}
