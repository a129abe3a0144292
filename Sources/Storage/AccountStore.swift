import Foundation
import Logging
import PostgresNIO

/// A row of `users`.
public struct UserRecord: Sendable, Equatable {
    public var userID: String
    public var passwordHash: String?
    public var isAdmin: Bool
    public var deactivated: Bool
    public var userType: String?
    public var displayName: String?
    public var avatarURL: String?
    /// Milliseconds since the epoch.
    public var createdTimestamp: Int64
}

/// A row of `user_threepids`: an email address or phone number bound to an account.
public struct ThreepidRecord: Sendable, Equatable {
    /// `email` or `msisdn`.
    public var medium: String
    public var address: String
    /// When it was validated and added, in ms since the epoch.
    public var validatedTimestamp: Int64
    public var addedTimestamp: Int64

    public init(medium: String, address: String, validatedTimestamp: Int64, addedTimestamp: Int64) {
        self.medium = medium
        self.address = address
        self.validatedTimestamp = validatedTimestamp
        self.addedTimestamp = addedTimestamp
    }
}

/// Which users a page of the admin user list holds (Synapse's `GET /_synapse/admin/v2/users` filters).
public struct UserListFilter: Sendable, Equatable {
    /// Users whose localpart or display name contains this, ignoring case.
    public var name: String?
    /// Users whose ID contains this, ignoring case; ignored when `name` is set.
    public var userIDContains: String?
    public var includeDeactivated: Bool
    /// Only admins (`true`), only other users (`false`), or both (`nil`).
    public var admins: Bool?

    public init(
        name: String? = nil, userIDContains: String? = nil, includeDeactivated: Bool = false, admins: Bool? = nil
    ) {
        self.name = name
        self.userIDContains = userIDContains
        self.includeDeactivated = includeDeactivated
        self.admins = admins
    }
}

/// A row of `devices`.
public struct DeviceRecord: Sendable, Equatable {
    public var deviceID: String
    public var displayName: String?
    public var lastSeenTimestamp: Int64?
    public var lastSeenIP: String?
}

/// What an access token stands for.
public struct TokenOwner: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var isAdmin: Bool
    public var deactivated: Bool
    /// When the token expires (ms since the epoch); `nil` for tokens that do not.
    public var expiresTimestamp: Int64?
}

/// Users, their third-party IDs, devices and access tokens. Tokens are stored hashed: every
/// method takes the token's digest, never the token.
public struct AccountStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    // MARK: - Users

    /// Creates a user; `false` when the user ID is taken (compared case-insensitively).
    public func createUser(
        _ userID: String, passwordHash: String?, isAdmin: Bool = false, userType: String? = nil,
        displayName: String? = nil
    ) async throws -> Bool {
        let rows = try await database.query(
            """
            INSERT INTO users (user_id, password_hash, is_admin, user_type, displayname, created_ts)
            VALUES (\(userID), \(passwordHash), \(isAdmin), \(userType), \(displayName), \(unixMilliseconds()))
            ON CONFLICT DO NOTHING RETURNING user_id
            """,
            label: "insert_user"
        )
        for try await _ in rows { return true }
        return false
    }

    /// The user's row; `nil` for an unknown user.
    public func user(_ userID: String) async throws -> UserRecord? {
        let rows = try await database.query(
            "SELECT \(unescaped: Self.userColumns) FROM users WHERE user_id = \(userID)",
            label: "select_user"
        )
        return try await Self.decodeUsers(rows).first
    }

    /// Whether a user ID is taken, ignoring case as Synapse does.
    public func userExists(caseInsensitive userID: String) async throws -> Bool {
        let rows = try await database.query(
            "SELECT 1 FROM users WHERE lower(user_id) = lower(\(userID))",
            label: "select_user_exists"
        )
        for try await _ in rows { return true }
        return false
    }

    /// A page of the users matching `filter`, ordered by user ID: `limit` of them after skipping `offset`.
    public func users(matching filter: UserListFilter, offset: Int, limit: Int) async throws -> [UserRecord] {
        let rows = try await database.query(
            Self.query(
                selecting: Self.userColumns, matching: filter,
                then: "ORDER BY user_id LIMIT \(max(limit, 0)) OFFSET \(max(offset, 0))"
            ),
            label: "select_users_page"
        )
        return try await Self.decodeUsers(rows)
    }

    /// The number of users matching `filter`.
    public func userCount(matching filter: UserListFilter) async throws -> Int {
        let rows = try await database.query(
            Self.query(selecting: "count(*)", matching: filter), label: "count_users"
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// `SELECT columns FROM users WHERE <filter> tail`; `tail` must not hold client input.
    private static func query(
        selecting columns: String, matching filter: UserListFilter, then tail: String = ""
    ) -> PostgresQuery {
        // An empty pattern turns its condition off; the name filter replaces the user ID one (as in Synapse).
        let name = filter.name?.lowercased() ?? "", userID = filter.userIDContains?.lowercased() ?? ""
        let namePattern = name.isEmpty ? "" : "@%" + name.likeEscaped + "%:%"
        let displayNamePattern = name.containsPattern
        let userIDPattern = !name.isEmpty || userID.isEmpty ? "" : userID.containsPattern
        return """
            SELECT \(unescaped: columns) FROM users
            WHERE (\(namePattern) = ''
                   OR lower(user_id) LIKE \(namePattern) OR lower(displayname) LIKE \(displayNamePattern))
              AND (\(userIDPattern) = '' OR lower(user_id) LIKE \(userIDPattern))
              AND (\(filter.includeDeactivated) OR NOT deactivated)
              AND (\(filter.admins == nil) OR is_admin = \(filter.admins ?? false))
            \(unescaped: tail)
            """
    }

    /// When each user last used any of their devices (ms since the epoch); users never seen are absent.
    public func lastSeenTimestamps(of userIDs: [String]) async throws -> [String: Int64] {
        let rows = try await database.query(
            """
            SELECT user_id, max(last_seen_ts) FROM devices
            WHERE user_id = ANY(\(userIDs)::text[]) AND last_seen_ts IS NOT NULL GROUP BY user_id
            """,
            label: "select_users_last_seen"
        )
        var lastSeen: [String: Int64] = [:]
        for try await (userID, timestamp) in rows.decode((String, Int64).self) { lastSeen[userID] = timestamp }
        return lastSeen
    }

    public func setPasswordHash(_ hash: String?, for userID: String) async throws {
        try await update("password_hash", to: hash, for: userID)
    }

    public func setDisplayName(_ name: String?, for userID: String) async throws {
        try await update("displayname", to: name, for: userID)
    }

    public func setAvatarURL(_ url: String?, for userID: String) async throws {
        try await update("avatar_url", to: url, for: userID)
    }

    /// Sets or clears (`nil`) the user's type, such as `bot` or `support`.
    public func setUserType(_ userType: String?, for userID: String) async throws {
        try await update("user_type", to: userType, for: userID)
    }

    public func setAdmin(_ isAdmin: Bool, for userID: String) async throws {
        try await database.query(
            "UPDATE users SET is_admin = \(isAdmin) WHERE user_id = \(userID)",
            label: "update_user_admin"
        )
    }

    /// Marks a user deactivated (or active again).
    public func setDeactivated(_ deactivated: Bool, for userID: String) async throws {
        try await database.query(
            "UPDATE users SET deactivated = \(deactivated) WHERE user_id = \(userID)",
            label: "update_user_deactivated"
        )
    }

    private func update(_ column: String, to value: String?, for userID: String) async throws {
        try await database.query(
            "UPDATE users SET \(unescaped: column) = \(value) WHERE user_id = \(userID)",
            label: "update_user_\(column)"
        )
    }

    // MARK: - Third-party identifiers

    /// The user's third-party identifiers, ordered by medium and address.
    public func threepids(of userID: String) async throws -> [ThreepidRecord] {
        let rows = try await database.query(
            """
            SELECT medium, address, validated_ts, added_ts FROM user_threepids
            WHERE user_id = \(userID) ORDER BY medium, address
            """,
            label: "select_threepids"
        )
        var threepids: [ThreepidRecord] = []
        for try await (medium, address, validated, added) in rows.decode((String, String, Int64, Int64).self) {
            threepids.append(ThreepidRecord(medium: medium, address: address, validatedTimestamp: validated,
                                            addedTimestamp: added))
        }
        return threepids
    }

    /// Makes `threepids` the user's third-party identifiers: others of the user are deleted, ones
    /// the user already has keep their timestamps, and ones bound to another user move to this one.
    public func replaceThreepids(of userID: String, with threepids: [(medium: String, address: String)]) async throws {
        let media = threepids.map(\.medium), addresses = threepids.map(\.address)
        try await database.transaction(label: "replace_threepids") { connection in
            try await connection.query(
                """
                DELETE FROM user_threepids AS t WHERE t.user_id = \(userID) AND NOT EXISTS (
                    SELECT 1 FROM unnest(\(media)::text[], \(addresses)::text[]) AS kept(medium, address)
                    WHERE kept.medium = t.medium AND kept.address = t.address)
                """,
                logger: database.queryLogger("delete_threepids")
            )
            guard !threepids.isEmpty else { return }
            let now = unixMilliseconds()
            try await connection.query(
                """
                INSERT INTO user_threepids (user_id, medium, address, validated_ts, added_ts)
                SELECT \(userID), t.medium, t.address, \(now), \(now)
                FROM unnest(\(media)::text[], \(addresses)::text[]) AS t(medium, address)
                ON CONFLICT (medium, address) DO UPDATE
                SET user_id = EXCLUDED.user_id, validated_ts = EXCLUDED.validated_ts, added_ts = EXCLUDED.added_ts
                WHERE user_threepids.user_id <> EXCLUDED.user_id
                """,
                logger: database.queryLogger("insert_threepids")
            )
        }
    }

    // MARK: - Devices

    /// Creates the device, or updates its display name when given and it exists.
    public func upsertDevice(userID: String, deviceID: String, displayName: String?) async throws {
        try await database.query(
            """
            INSERT INTO devices (user_id, device_id, display_name, created_ts)
            VALUES (\(userID), \(deviceID), \(displayName), \(unixMilliseconds()))
            ON CONFLICT (user_id, device_id)
            DO UPDATE SET display_name = COALESCE(EXCLUDED.display_name, devices.display_name)
            """,
            label: "upsert_device"
        )
    }

    /// The user's devices, sorted by device ID.
    public func devices(of userID: String) async throws -> [DeviceRecord] {
        let rows = try await database.query(
            """
            SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices
            WHERE user_id = \(userID) ORDER BY device_id
            """,
            label: "select_devices"
        )
        var devices: [DeviceRecord] = []
        for try await row in rows.decode((String, String?, Int64?, String?).self) {
            devices.append(DeviceRecord(deviceID: row.0, displayName: row.1, lastSeenTimestamp: row.2, lastSeenIP: row.3))
        }
        return devices
    }

    /// Sets a device's display name; `false` when the device does not exist.
    public func renameDevice(userID: String, deviceID: String, displayName: String?) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE devices SET display_name = \(displayName)
            WHERE user_id = \(userID) AND device_id = \(deviceID) RETURNING device_id
            """,
            label: "update_device_name"
        )
        for try await _ in rows { return true }
        return false
    }

    /// Deletes devices and, through the foreign keys, their access tokens, keys and to-device
    /// messages; a device list change when any existed.
    public func deleteDevices(userID: String, deviceIDs: [String]) async throws {
        try await database.query(
            """
            WITH deleted AS (
                DELETE FROM devices WHERE user_id = \(userID) AND device_id = ANY(\(deviceIDs)::text[]) RETURNING user_id
            ), \(unescaped: Self.recordingDeletedDevices)
            """,
            label: "delete_devices"
        )
    }

    /// Deletes every device of the user except `keeping`, as ``deleteDevices(userID:deviceIDs:)`` does.
    public func deleteAllDevices(userID: String, except keeping: String? = nil) async throws {
        try await database.query(
            """
            WITH deleted AS (
                DELETE FROM devices WHERE user_id = \(userID) AND device_id IS DISTINCT FROM \(keeping) RETURNING user_id
            ), \(unescaped: Self.recordingDeletedDevices)
            """,
            label: "delete_all_devices"
        )
    }

    /// The rest of a statement whose `deleted` step deleted one user's devices: a device list
    /// change when it deleted any, advancing the stream head in its last step (see ``StreamHead``).
    private static let recordingDeletedDevices = """
        changed AS (SELECT DISTINCT user_id FROM deleted),
        \(StreamHead.deviceLists.advance(byParameter: "(SELECT count(*) FROM changed)"))
        INSERT INTO device_list_changes (stream_id, user_id) SELECT head.position, user_id FROM head, changed
        """

    /// Records when and from where a device was last used.
    public func touchDevice(userID: String, deviceID: String, ip: String?) async throws {
        try await database.query(
            """
            UPDATE devices SET last_seen_ts = \(unixMilliseconds()), last_seen_ip = \(ip)
            WHERE user_id = \(userID) AND device_id = \(deviceID)
            """,
            label: "touch_device"
        )
    }

    // MARK: - Access tokens

    /// Stores an access token's digest for a device (which must exist).
    public func insertAccessToken(
        digest: String, userID: String, deviceID: String, expiresTimestamp: Int64? = nil, refreshDigest: String? = nil
    ) async throws {
        try await database.query(
            """
            INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts, expires_ts, refresh_token_hash)
            VALUES (\(digest), \(userID), \(deviceID), \(unixMilliseconds()), \(expiresTimestamp), \(refreshDigest))
            """,
            label: "insert_access_token"
        )
    }

    /// Who an access token belongs to; `nil` for an unknown token.
    public func owner(ofToken digest: String) async throws -> TokenOwner? {
        let rows = try await database.execute(SelectTokenOwner(digest: digest),
                                                     label: "select_token_owner")
        for try await row in rows {
            return TokenOwner(userID: row.0, deviceID: row.1, isAdmin: row.2, deactivated: row.3, expiresTimestamp: row.4)
        }
        return nil
    }

    /// Replaces the access token that a refresh token belongs to with a new pair, atomically;
    /// returns the owner, or `nil` when the refresh token is unknown (or was already used).
    public func rotate(
        refreshDigest: String, newDigest: String, newRefreshDigest: String, expiresTimestamp: Int64
    ) async throws -> TokenOwner? {
        let rows = try await database.query(
            """
            UPDATE access_tokens AS t
            SET token_hash = \(newDigest), refresh_token_hash = \(newRefreshDigest),
                expires_ts = \(expiresTimestamp), created_ts = \(unixMilliseconds())
            FROM users AS u
            WHERE t.refresh_token_hash = \(refreshDigest) AND u.user_id = t.user_id
            RETURNING t.user_id, t.device_id, u.is_admin, u.deactivated, t.expires_ts
            """,
            label: "rotate_refresh_token"
        )
        for try await row in rows.decode((String, String, Bool, Bool, Int64?).self) {
            return TokenOwner(userID: row.0, deviceID: row.1, isAdmin: row.2, deactivated: row.3, expiresTimestamp: row.4)
        }
        return nil
    }

    // MARK: - Rows

    static let userColumns = "user_id, password_hash, is_admin, deactivated, user_type, displayname, avatar_url, created_ts"

    static func decodeUsers(_ rows: PostgresRowSequence) async throws -> [UserRecord] {
        var users: [UserRecord] = []
        for try await row in rows.decode((String, String?, Bool, Bool, String?, String?, String?, Int64).self) {
            users.append(UserRecord(
                userID: row.0, passwordHash: row.1, isAdmin: row.2, deactivated: row.3, userType: row.4,
                displayName: row.5, avatarURL: row.6, createdTimestamp: row.7
            ))
        }
        return users
    }

}

/// The owner of an access token: prepared, as every authenticated request runs it.
struct SelectTokenOwner: PostgresPreparedStatement {
    static let sql = """
        SELECT t.user_id, t.device_id, u.is_admin, u.deactivated, t.expires_ts
        FROM access_tokens AS t JOIN users AS u USING (user_id) WHERE t.token_hash = $1
        """
    typealias Row = (String, String, Bool, Bool, Int64?)

    let digest: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(digest)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
