import Logging
import PostgresNIO

/// Single-use nonces of shared-secret registration, shared by every client-api replica.
///
/// The caller passes the clock (ms since the epoch), so expiry is decided by one clock per
/// request and tests need no waiting.
public struct RegistrationNonceStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores a new nonce valid until `expiresTimestamp`, and deletes the nonces expired by `now`.
    public func insert(_ nonce: String, expiresTimestamp: Int64, now: Int64) async throws {
        try await database.query(
            "DELETE FROM registration_nonces WHERE expires_ts <= \(now)",
            label: "delete_expired_registration_nonces"
        )
        try await database.query(
            "INSERT INTO registration_nonces (nonce, expires_ts) VALUES (\(nonce), \(expiresTimestamp))",
            label: "insert_registration_nonce"
        )
    }

    /// Deletes the nonce and tells whether it was known and unexpired at `now`. Of two
    /// concurrent calls with one nonce, only one gets `true`.
    public func consume(_ nonce: String, now: Int64) async throws -> Bool {
        let rows = try await database.query(
            "DELETE FROM registration_nonces WHERE nonce = \(nonce) RETURNING expires_ts",
            label: "consume_registration_nonce"
        )
        for try await expires in rows.decode(Int64.self) { return expires > now }
        return false
    }
}
