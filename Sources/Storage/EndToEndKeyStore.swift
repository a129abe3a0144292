import Logging
import PostgresNIO

/// A one-time or fallback key as uploaded: `<algorithm>:<key ID>` and its JSON.
public struct UploadedKey: Sendable, Equatable {
    public var algorithm: String
    public var keyID: String
    /// The key's JSON (a string or a signed object), as uploaded.
    public var json: String

    public init(algorithm: String, keyID: String, json: String) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.json = json
    }
}

/// A device's identity keys as stored, with the device's display name.
public struct StoredDeviceKeys: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var json: String
    public var displayName: String?
}

/// A key handed out by a claim: a one-time key, or the device's fallback key when none is left.
public struct ClaimedKey: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var algorithm: String
    public var keyID: String
    public var json: String
}

/// One of a user's cross-signing keys: `master`, `self_signing` or `user_signing`.
public struct StoredCrossSigningKey: Sendable, Equatable {
    public var userID: String
    public var type: String
    /// The unpadded base64 ed25519 public key, which is also the key's ID.
    public var publicKey: String
    public var json: String

    public init(userID: String, type: String, publicKey: String, json: String) {
        self.userID = userID
        self.type = type
        self.publicKey = publicKey
        self.json = json
    }
}

/// A signature of a device key or cross-signing key by another key.
public struct KeySignature: Sendable, Equatable {
    public var signerUserID: String
    /// `ed25519:<device ID or public key>`.
    public var signerKeyID: String
    public var targetUserID: String
    /// A device ID or a cross-signing public key.
    public var targetKeyID: String
    public var signature: String

    public init(signerUserID: String, signerKeyID: String, targetUserID: String, targetKeyID: String,
                signature: String) {
        self.signerUserID = signerUserID
        self.signerKeyID = signerKeyID
        self.targetUserID = targetUserID
        self.targetKeyID = targetKeyID
        self.signature = signature
    }
}

/// A one-time key ID was uploaded again with a different key.
public struct OneTimeKeyConflict: Error, Equatable {
    public var algorithm: String
    public var keyID: String
}

/// One device of one user.
public struct UserDevice: Hashable, Sendable {
    public var userID: String
    public var deviceID: String

    public init(userID: String, deviceID: String) {
        self.userID = userID
        self.deviceID = deviceID
    }
}

/// A device's unclaimed one-time keys per algorithm, and the algorithms of its unused fallback
/// keys, sorted.
public struct DeviceKeyCounts: Sendable, Equatable {
    public var oneTimeKeys: [String: Int] = [:]
    public var unusedFallbackKeys: [String] = []

    public init(oneTimeKeys: [String: Int] = [:], unusedFallbackKeys: [String] = []) {
        self.oneTimeKeys = oneTimeKeys
        self.unusedFallbackKeys = unusedFallbackKeys
    }
}

/// The keys of end-to-end encryption: device, one-time, fallback and cross-signing keys and the
/// signatures between them. Every change that other users must learn about (device keys,
/// cross-signing keys, signatures, deleted devices) takes a position of the device list stream
/// (``StreamHead/deviceLists``) in the same transaction.
public struct EndToEndKeyStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores a device's uploads: its identity keys (a device list change when they differ from
    /// the stored ones), new one-time keys (`OneTimeKeyConflict` when a key ID is reused for another
    /// key) and fallback keys (replacing the algorithm's previous one). A device deleted meanwhile
    /// stores nothing.
    /// Returns the position of the device list change, if any.
    public func upload(
        userID: String, deviceID: String, deviceKeys: String?, oneTimeKeys: [UploadedKey], fallbackKeys: [UploadedKey]
    ) async throws -> Int64? {
        try await database.transaction(label: "upload_device_keys") { connection in
            var changed = false
            if let deviceKeys {
                let rows = try await connection.query(
                    """
                    INSERT INTO e2e_device_keys (user_id, device_id, key_json)
                    SELECT user_id, device_id, \(deviceKeys) FROM devices
                    WHERE user_id = \(userID) AND device_id = \(deviceID)
                    ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = EXCLUDED.key_json
                    WHERE e2e_device_keys.key_json <> EXCLUDED.key_json
                    RETURNING 1
                    """,
                    logger: database.queryLogger("upsert_device_keys")
                )
                for try await _ in rows { changed = true }
            }
            if !oneTimeKeys.isEmpty {
                try await insertOneTimeKeys(oneTimeKeys, userID: userID, deviceID: deviceID, on: connection)
            }
            for key in fallbackKeys {
                try await connection.query(
                    """
                    INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, key_json)
                    SELECT user_id, device_id, \(key.algorithm), \(key.keyID), \(key.json) FROM devices
                    WHERE user_id = \(userID) AND device_id = \(deviceID)
                    ON CONFLICT (user_id, device_id, algorithm) DO UPDATE
                    SET key_id = EXCLUDED.key_id, key_json = EXCLUDED.key_json, used = FALSE
                    WHERE e2e_fallback_keys.key_id <> EXCLUDED.key_id OR e2e_fallback_keys.key_json <> EXCLUDED.key_json
                    """,
                    logger: database.queryLogger("upsert_fallback_key")
                )
            }
            return changed ? try await Self.recordDeviceListChange(of: userID, on: connection, database: database) : nil
        }
    }

    private func insertOneTimeKeys(
        _ keys: [UploadedKey], userID: String, deviceID: String, on connection: PostgresConnection
    ) async throws {
        let rows = try await connection.query(
            """
            WITH new (algorithm, key_id, key_json) AS (
                SELECT * FROM unnest(\(keys.map(\.algorithm))::text[], \(keys.map(\.keyID))::text[],
                                     \(keys.map(\.json))::text[])
            ), conflicts AS (
                SELECT new.algorithm, new.key_id FROM new JOIN e2e_one_time_keys AS old
                ON old.user_id = \(userID) AND old.device_id = \(deviceID) AND old.algorithm = new.algorithm
                   AND old.key_id = new.key_id AND old.key_json <> new.key_json
            ), inserted AS (
                INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, key_json)
                SELECT \(userID), \(deviceID), algorithm, key_id, key_json FROM new
                WHERE NOT EXISTS (SELECT 1 FROM conflicts)
                  AND EXISTS (SELECT 1 FROM devices WHERE user_id = \(userID) AND device_id = \(deviceID))
                ON CONFLICT DO NOTHING
            )
            SELECT algorithm, key_id FROM conflicts LIMIT 1
            """,
            logger: database.queryLogger("insert_one_time_keys")
        )
        for try await (algorithm, keyID) in rows.decode((String, String).self) {
            throw OneTimeKeyConflict(algorithm: algorithm, keyID: keyID)
        }
    }

    /// How many unclaimed one-time keys the device has, per algorithm, and the algorithms of its
    /// fallback keys that no claim has used yet: one round trip.
    public func keyCounts(userID: String, deviceID: String) async throws -> DeviceKeyCounts {
        let device = UserDevice(userID: userID, deviceID: deviceID)
        return try await keyCounts(of: [device])[device] ?? DeviceKeyCounts()
    }

    /// ``keyCounts(userID:deviceID:)`` of many devices in one round trip; devices without keys
    /// are absent.
    public func keyCounts(of devices: [UserDevice]) async throws -> [UserDevice: DeviceKeyCounts] {
        guard !devices.isEmpty else { return [:] }
        let rows = try await database.execute(CountDeviceKeys(devices: devices), label: "count_device_keys")
        var counts: [UserDevice: DeviceKeyCounts] = [:]
        for try await (userID, deviceID, algorithm, count, isFallback) in rows {
            let device = UserDevice(userID: userID, deviceID: deviceID)
            if isFallback {
                counts[device, default: DeviceKeyCounts()].unusedFallbackKeys.append(algorithm)
            } else {
                counts[device, default: DeviceKeyCounts()].oneTimeKeys[algorithm] = Int(count)
            }
        }
        return counts
    }

    /// The identity keys of every device of `userIDs` that uploaded them.
    public func deviceKeys(of userIDs: [String]) async throws -> [StoredDeviceKeys] {
        guard !userIDs.isEmpty else { return [] }
        let rows = try await database.query(
            """
            SELECT k.user_id, k.device_id, k.key_json, d.display_name
            FROM e2e_device_keys AS k JOIN devices AS d USING (user_id, device_id)
            WHERE k.user_id = ANY(\(userIDs)::text[])
            ORDER BY k.user_id, k.device_id
            """,
            label: "select_device_keys"
        )
        var keys: [StoredDeviceKeys] = []
        for try await (userID, deviceID, json, displayName) in rows.decode((String, String, String, String?).self) {
            keys.append(StoredDeviceKeys(userID: userID, deviceID: deviceID, json: json, displayName: displayName))
        }
        return keys
    }

    /// Claims one key of `algorithm` for each device: a one-time key, which is deleted, or else
    /// the device's fallback key, which is marked used. Devices with neither are left out.
    public func claim(_ requests: [(userID: String, deviceID: String, algorithm: String)]) async throws
        -> [ClaimedKey] {
        guard !requests.isEmpty else { return [] }
        let rows = try await database.query(
            """
            WITH wanted (user_id, device_id, algorithm) AS (
                SELECT * FROM unnest(\(requests.map(\.userID))::text[], \(requests.map(\.deviceID))::text[],
                                     \(requests.map(\.algorithm))::text[])
            ), picked AS (
                SELECT (SELECT k.ctid FROM e2e_one_time_keys AS k
                        WHERE (k.user_id, k.device_id, k.algorithm) = (w.user_id, w.device_id, w.algorithm)
                        ORDER BY k.key_id LIMIT 1 FOR UPDATE SKIP LOCKED) AS ctid
                FROM wanted AS w
            ), claimed AS (
                DELETE FROM e2e_one_time_keys WHERE ctid IN (SELECT ctid FROM picked)
                RETURNING user_id, device_id, algorithm, key_id, key_json
            ), fallback AS (
                UPDATE e2e_fallback_keys AS f SET used = TRUE FROM wanted AS w
                WHERE (f.user_id, f.device_id, f.algorithm) = (w.user_id, w.device_id, w.algorithm)
                  AND NOT EXISTS (SELECT 1 FROM claimed AS c
                                  WHERE (c.user_id, c.device_id, c.algorithm) = (w.user_id, w.device_id, w.algorithm))
                RETURNING f.user_id, f.device_id, f.algorithm, f.key_id, f.key_json
            )
            SELECT * FROM claimed UNION ALL SELECT * FROM fallback
            """,
            label: "claim_one_time_keys"
        )
        var keys: [ClaimedKey] = []
        for try await (userID, deviceID, algorithm, keyID, json) in rows.decode(
            (String, String, String, String, String).self
        ) {
            keys.append(ClaimedKey(userID: userID, deviceID: deviceID, algorithm: algorithm, keyID: keyID, json: json))
        }
        return keys
    }

    // MARK: - Cross-signing

    /// The cross-signing keys of `userIDs`.
    public func crossSigningKeys(of userIDs: [String]) async throws -> [StoredCrossSigningKey] {
        guard !userIDs.isEmpty else { return [] }
        let rows = try await database.query(
            """
            SELECT user_id, key_type, public_key, key_json FROM e2e_cross_signing_keys
            WHERE user_id = ANY(\(userIDs)::text[])
            """,
            label: "select_cross_signing_keys"
        )
        var keys: [StoredCrossSigningKey] = []
        for try await (userID, type, publicKey, json) in rows.decode((String, String, String, String).self) {
            keys.append(StoredCrossSigningKey(userID: userID, type: type, publicKey: publicKey, json: json))
        }
        return keys
    }

    /// Stores (replaces) some of one user's cross-signing keys: a device list change.
    public func putCrossSigningKeys(_ keys: [StoredCrossSigningKey], of userID: String) async throws -> Int64 {
        try await database.transaction(label: "put_cross_signing_keys") { connection in
            for key in keys {
                try await connection.query(
                    """
                    INSERT INTO e2e_cross_signing_keys (user_id, key_type, public_key, key_json)
                    VALUES (\(userID), \(key.type), \(key.publicKey), \(key.json))
                    ON CONFLICT (user_id, key_type)
                    DO UPDATE SET public_key = EXCLUDED.public_key, key_json = EXCLUDED.key_json
                    """,
                    logger: database.queryLogger("upsert_cross_signing_key")
                )
            }
            return try await Self.recordDeviceListChange(of: userID, on: connection, database: database)
        }
    }

    /// The stored signatures of the keys of `userIDs` that `viewer` may see: those by each
    /// user's own keys, and those by the viewer's.
    public func signatures(of userIDs: [String], visibleTo viewer: String) async throws -> [KeySignature] {
        guard !userIDs.isEmpty else { return [] }
        let rows = try await database.query(
            """
            SELECT signer_user_id, signer_key_id, target_user_id, target_key_id, signature FROM e2e_key_signatures
            WHERE target_user_id = ANY(\(userIDs)::text[])
              AND (signer_user_id = target_user_id OR signer_user_id = \(viewer))
            """,
            label: "select_key_signatures"
        )
        var signatures: [KeySignature] = []
        for try await (signer, signerKey, target, targetKey, signature) in rows.decode(
            (String, String, String, String, String).self
        ) {
            signatures.append(KeySignature(signerUserID: signer, signerKeyID: signerKey, targetUserID: target,
                                           targetKeyID: targetKey, signature: signature))
        }
        return signatures
    }

    /// Stores signatures (replacing a signer key's earlier signature of the same key): a device
    /// list change for the signer.
    public func putSignatures(_ signatures: [KeySignature], by signerUserID: String) async throws -> Int64 {
        try await database.transaction(label: "put_key_signatures") { connection in
            try await connection.query(
                """
                INSERT INTO e2e_key_signatures (signer_user_id, signer_key_id, target_user_id, target_key_id, signature)
                SELECT \(signerUserID), * FROM unnest(
                    \(signatures.map(\.signerKeyID))::text[], \(signatures.map(\.targetUserID))::text[],
                    \(signatures.map(\.targetKeyID))::text[], \(signatures.map(\.signature))::text[])
                ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
                DO UPDATE SET signature = EXCLUDED.signature
                """,
                logger: database.queryLogger("upsert_key_signatures")
            )
            return try await Self.recordDeviceListChange(of: signerUserID, on: connection, database: database)
        }
    }

    // MARK: - Device list stream

    /// Records a change to `userID`'s devices at a new position of the device list stream; the
    /// last statement of its transaction (see ``StreamHead``).
    static func recordDeviceListChange(
        of userID: String, on connection: PostgresConnection, database: Database
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            WITH \(unescaped: StreamHead.deviceLists.advance(by: 1))
            INSERT INTO device_list_changes (stream_id, user_id) SELECT head.position, \(userID) FROM head
            RETURNING stream_id
            """,
            logger: database.queryLogger("insert_device_list_change")
        )
        for try await position in rows.decode(Int64.self) { return position }
        throw StreamHeadMissing(stream: .deviceLists)
    }
}

/// The unclaimed one-time keys per algorithm and the unused fallback keys of each device
/// (user `$1[i]`, device `$2[i]`) (``EndToEndKeyStore/keyCounts(of:)``): prepared, as every
/// `/sync` reads them.
struct CountDeviceKeys: PostgresPreparedStatement {
    static let sql = """
        WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[]) AS w(user_id, device_id))
        SELECT user_id, device_id, algorithm, count(*), FALSE FROM e2e_one_time_keys
        WHERE (user_id, device_id) IN (SELECT * FROM wanted)
        GROUP BY user_id, device_id, algorithm
        UNION ALL
        SELECT user_id, device_id, algorithm, 0, TRUE FROM e2e_fallback_keys
        WHERE (user_id, device_id) IN (SELECT * FROM wanted) AND NOT used
        ORDER BY 3
        """
    typealias Row = (String, String, String, Int64, Bool)

    let devices: [UserDevice]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(devices.map(\.userID))
        bindings.append(devices.map(\.deviceID))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
