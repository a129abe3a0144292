import Logging
import PostgresNIO

/// One remote signing key as stored in `server_keys`.
public struct StoredServerKey: Sendable, Equatable {
    public var keyID: String
    /// Unpadded base64 ed25519 public key.
    public var verifyKey: String
    public var validUntil: Int64

    public init(keyID: String, verifyKey: String, validUntil: Int64) {
        self.keyID = keyID
        self.verifyKey = verifyKey
        self.validUntil = validUntil
    }
}

/// Signing keys of remote servers (`server_keys`), so every worker fetches them once per validity.
public struct ServerKeyStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores the keys `server` published itself (`from_server` is the server), replacing
    /// earlier copies.
    public func save(_ keys: [StoredServerKey], of server: String, documentJSON: String) async throws {
        let now = unixMilliseconds()
        for key in keys {
            try await database.query(
                """
                INSERT INTO server_keys (server_name, key_id, from_server, verify_key, valid_until_ts, fetched_ts, key_json)
                VALUES (\(server), \(key.keyID), \(server), \(key.verifyKey), \(key.validUntil), \(now), \(documentJSON))
                ON CONFLICT (server_name, key_id, from_server) DO UPDATE
                SET verify_key = EXCLUDED.verify_key, valid_until_ts = EXCLUDED.valid_until_ts,
                    fetched_ts = EXCLUDED.fetched_ts, key_json = EXCLUDED.key_json
                """,
                label: "upsert_server_key"
            )
        }
    }

    /// The stored keys of `server`, as it published them.
    public func keys(of server: String) async throws -> [StoredServerKey] {
        let rows = try await database.query(
            """
            SELECT key_id, verify_key, valid_until_ts FROM server_keys
            WHERE server_name = \(server) AND from_server = \(server)
            """,
            label: "select_server_keys"
        )
        var keys: [StoredServerKey] = []
        for try await (keyID, verifyKey, validUntil) in rows.decode((String, String, Int64).self) {
            keys.append(StoredServerKey(keyID: keyID, verifyKey: verifyKey, validUntil: validUntil))
        }
        return keys
    }
}
