import Logging
import PostgresNIO

/// One version of a user's server-side key backup.
public struct KeyBackupVersion: Sendable, Equatable {
    public var version: Int64
    public var algorithm: String
    /// The `auth_data` JSON object, as uploaded.
    public var authData: String
    /// Changes whenever the version's keys change.
    public var etag: Int64
    /// How many keys the version holds.
    public var count: Int64
}

/// One backed-up room key (a megolm session), as `KeyBackupData` describes it.
public struct BackedUpRoomKey: Sendable, Equatable {
    public var roomID: String
    public var sessionID: String
    public var firstMessageIndex: Int64
    public var forwardedCount: Int64
    public var isVerified: Bool
    /// The encrypted `session_data` JSON object, as uploaded.
    public var sessionData: String

    public init(roomID: String, sessionID: String, firstMessageIndex: Int64, forwardedCount: Int64, isVerified: Bool,
                sessionData: String) {
        self.roomID = roomID
        self.sessionID = sessionID
        self.firstMessageIndex = firstMessageIndex
        self.forwardedCount = forwardedCount
        self.isVerified = isVerified
        self.sessionData = sessionData
    }
}

/// Which keys of a backup version a read or delete concerns: all, one room's, or one session.
public struct RoomKeySelection: Sendable, Equatable {
    public var roomID: String?
    public var sessionID: String?

    public init(roomID: String? = nil, sessionID: String? = nil) {
        self.roomID = roomID
        self.sessionID = sessionID
    }
}

/// Server-side key backup (`/room_keys`): versions per user, numbered from 1 and never reused,
/// and the room keys of each. Deleting a version keeps its number taken.
public struct KeyBackupStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates the user's next version and returns its number.
    public func createVersion(of userID: String, algorithm: String, authData: String) async throws -> Int64 {
        try await database.transaction(label: "create_backup_version") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(userID), 1))",
                                       logger: database.queryLogger("lock_key_backup_versions"))
            let rows = try await connection.query(
                """
                INSERT INTO room_key_backups (user_id, version, algorithm, auth_data)
                SELECT \(userID), COALESCE(max(version), 0) + 1, \(algorithm), \(authData)
                FROM room_key_backups WHERE user_id = \(userID)
                RETURNING version
                """,
                logger: database.queryLogger("insert_key_backup_version")
            )
            for try await version in rows.decode(Int64.self) { return version }
            throw KeyBackupVersionMissing()
        }
    }

    /// A version that is not deleted (the latest when `version` is `nil`), with its key count.
    public func version(of userID: String, _ version: Int64?) async throws -> KeyBackupVersion? {
        let rows = try await database.query(
            """
            SELECT b.version, b.algorithm, b.auth_data, b.etag,
                   (SELECT count(*) FROM room_keys AS k WHERE k.user_id = b.user_id AND k.version = b.version)
            FROM room_key_backups AS b
            WHERE b.user_id = \(userID) AND NOT b.deleted AND (\(version)::bigint IS NULL OR b.version = \(version))
            ORDER BY b.version DESC LIMIT 1
            """,
            label: "select_key_backup_version"
        )
        for try await (number, algorithm, authData, etag, count) in rows.decode(
            (Int64, String, String, Int64, Int64).self
        ) {
            return KeyBackupVersion(version: number, algorithm: algorithm, authData: authData, etag: etag, count: count)
        }
        return nil
    }

    /// Replaces a version's `auth_data`; `false` when the version does not exist.
    public func updateVersion(of userID: String, _ version: Int64, authData: String) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE room_key_backups SET auth_data = \(authData)
            WHERE user_id = \(userID) AND version = \(version) AND NOT deleted RETURNING version
            """,
            label: "update_key_backup_version"
        )
        for try await _ in rows { return true }
        return false
    }

    /// Deletes a version and its keys; `false` when the version does not exist.
    public func deleteVersion(of userID: String, _ version: Int64) async throws -> Bool {
        try await database.transaction(label: "delete_backup_version") { connection in
            try await connection.query(
                "DELETE FROM room_keys WHERE user_id = \(userID) AND version = \(version)",
                logger: database.queryLogger("delete_version_room_keys")
            )
            let rows = try await connection.query(
                """
                UPDATE room_key_backups SET deleted = TRUE
                WHERE user_id = \(userID) AND version = \(version) AND NOT deleted RETURNING version
                """,
                logger: database.queryLogger("delete_key_backup_version")
            )
            for try await _ in rows { return true }
            return false
        }
    }

    /// Stores keys in a version, each replacing the stored key of its session only when better:
    /// verified over unverified, then a lower first message index, then fewer forwards. The
    /// version's etag moves when any key changed.
    public func putKeys(_ keys: [BackedUpRoomKey], of userID: String, version: Int64) async throws {
        try await database.transaction(label: "put_backup_keys") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO room_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count,
                                       is_verified, session_data)
                SELECT \(userID), \(version), * FROM unnest(
                    \(keys.map(\.roomID))::text[], \(keys.map(\.sessionID))::text[],
                    \(keys.map(\.firstMessageIndex))::bigint[], \(keys.map(\.forwardedCount))::bigint[],
                    \(keys.map(\.isVerified))::boolean[], \(keys.map(\.sessionData))::text[])
                ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE
                SET first_message_index = EXCLUDED.first_message_index, forwarded_count = EXCLUDED.forwarded_count,
                    is_verified = EXCLUDED.is_verified, session_data = EXCLUDED.session_data
                WHERE (EXCLUDED.is_verified, EXCLUDED.first_message_index, EXCLUDED.forwarded_count)
                      IS DISTINCT FROM (room_keys.is_verified, room_keys.first_message_index, room_keys.forwarded_count)
                  AND (EXCLUDED.is_verified AND NOT room_keys.is_verified
                       OR EXCLUDED.is_verified = room_keys.is_verified
                          AND (EXCLUDED.first_message_index, EXCLUDED.forwarded_count)
                              < (room_keys.first_message_index, room_keys.forwarded_count))
                RETURNING 1
                """,
                logger: database.queryLogger("upsert_room_keys")
            )
            var changed = false
            for try await _ in rows { changed = true }
            if changed { try await bumpETag(of: userID, version: version, on: connection) }
        }
    }

    /// The keys of a version that `selection` names, sorted by room and session.
    public func keys(of userID: String, version: Int64, _ selection: RoomKeySelection) async throws
        -> [BackedUpRoomKey] {
        let rows = try await database.query(
            """
            SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data
            FROM room_keys
            WHERE user_id = \(userID) AND version = \(version)
              AND (\(selection.roomID)::text IS NULL OR room_id = \(selection.roomID))
              AND (\(selection.sessionID)::text IS NULL OR session_id = \(selection.sessionID))
            ORDER BY room_id, session_id
            """,
            label: "select_room_keys"
        )
        var keys: [BackedUpRoomKey] = []
        for try await (roomID, sessionID, index, forwards, verified, data) in rows.decode(
            (String, String, Int64, Int64, Bool, String).self
        ) {
            keys.append(BackedUpRoomKey(roomID: roomID, sessionID: sessionID, firstMessageIndex: index,
                                        forwardedCount: forwards, isVerified: verified, sessionData: data))
        }
        return keys
    }

    /// Deletes the keys of a version that `selection` names; the etag moves when any existed.
    public func deleteKeys(of userID: String, version: Int64, _ selection: RoomKeySelection) async throws {
        try await database.transaction(label: "delete_backup_keys") { connection in
            let rows = try await connection.query(
                """
                DELETE FROM room_keys
                WHERE user_id = \(userID) AND version = \(version)
                  AND (\(selection.roomID)::text IS NULL OR room_id = \(selection.roomID))
                  AND (\(selection.sessionID)::text IS NULL OR session_id = \(selection.sessionID))
                RETURNING 1
                """,
                logger: database.queryLogger("delete_room_keys")
            )
            var changed = false
            for try await _ in rows { changed = true }
            if changed { try await bumpETag(of: userID, version: version, on: connection) }
        }
    }

    private func bumpETag(of userID: String, version: Int64, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE room_key_backups SET etag = etag + 1 WHERE user_id = \(userID) AND version = \(version)",
            logger: database.queryLogger("bump_key_backup_etag")
        )
    }
}

/// An insert of a backup version returned no row (it always returns one).
struct KeyBackupVersionMissing: Error {}
