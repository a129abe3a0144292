import MatrixCore
import Storage

/// Server-side key backup (`/room_keys/version` and `/room_keys/keys`): a user's encrypted room
/// keys, kept in versions, so that a new device can read old encrypted messages.
///
/// Keys are written only to the user's current (latest) version: writing to another is
/// `403 M_WRONG_ROOM_KEYS_VERSION` with the current version, so a client with a stale backup
/// learns it. Unknown versions are `404 M_NOT_FOUND`.
public struct KeyBackupService: Sendable {
    let store: KeyBackupStore

    public init(store: KeyBackupStore) {
        self.store = store
    }

    // MARK: - Versions

    /// Creates a version from `{algorithm, auth_data}` and returns its number, as a string.
    public func createVersion(_ body: JSONObject, by requester: Requester) async throws -> String {
        let (algorithm, authData) = try Self.algorithmAndAuthData(body)
        let version = try await store.createVersion(of: requester.userID.description, algorithm: algorithm,
                                                    authData: authData.jsonString())
        return String(version)
    }

    /// A version's description (the latest when `version` is `nil`).
    public func version(_ version: String?, of requester: Requester) async throws -> JSONObject {
        let found = try await existing(version, of: requester)
        return [
            "version": .string(String(found.version)), "algorithm": .string(found.algorithm),
            "auth_data": try JSONValue(parsing: found.authData), "etag": .string(String(found.etag)),
            "count": .integer(found.count),
        ]
    }

    /// Replaces a version's `auth_data`; its algorithm cannot change (`400 M_INVALID_PARAM`).
    public func updateVersion(_ version: String, _ body: JSONObject, by requester: Requester) async throws {
        let found = try await existing(version, of: requester)
        let (algorithm, authData) = try Self.algorithmAndAuthData(body)
        guard algorithm == found.algorithm else {
            throw MatrixError(.invalidParam, "A backup version's algorithm cannot change")
        }
        if let bodyVersion = try body.string("version"), bodyVersion != version {
            throw MatrixError(.invalidParam, "The version in the body does not match the path")
        }
        _ = try await store.updateVersion(of: requester.userID.description, found.version,
                                          authData: authData.jsonString())
    }

    /// Deletes a version and its keys.
    public func deleteVersion(_ version: String, by requester: Requester) async throws {
        guard let number = Int64(version),
              try await store.deleteVersion(of: requester.userID.description, number) else {
            throw Self.unknownVersion(version)
        }
    }

    // MARK: - Keys

    /// Stores the keys of a `PUT /room_keys/keys[...]` body in the current version and returns
    /// the version's `etag` and `count`. `roomID` and `sessionID` say which level the body is.
    public func putKeys(
        _ body: JSONObject, version: String?, roomID: String?, sessionID: String?, by requester: Requester
    ) async throws -> JSONObject {
        let current = try await currentVersion(version, of: requester)
        var keys: [BackedUpRoomKey] = []
        switch (roomID, sessionID) {
        case let (roomID?, sessionID?):
            keys.append(try Self.key(body, roomID: roomID, sessionID: sessionID))
        case let (roomID?, nil):
            keys += try Self.sessions(body, roomID: roomID)
        default:
            for (roomID, room) in try body.object("rooms") ?? [:] {
                _ = try roomID.rejectingNUL("A room ID")
                guard let room = room.objectValue else { throw MatrixError(.badJSON, "rooms['\(roomID)'] must be an object") }
                keys += try Self.sessions(room, roomID: roomID)
            }
        }
        if !keys.isEmpty { try await store.putKeys(keys, of: requester.userID.description, version: current.version) }
        return try await etagAndCount(current.version, of: requester)
    }

    /// The keys of a version at the level `roomID` and `sessionID` name: `{rooms}`, a room's
    /// `{sessions}`, or one session's key (`404` when it is not backed up).
    public func keys(version: String?, roomID: String?, sessionID: String?, of requester: Requester) async throws
        -> JSONObject {
        let found = try await existing(try Self.required(version), of: requester)
        let keys = try await store.keys(of: requester.userID.description, version: found.version,
                                        RoomKeySelection(roomID: roomID, sessionID: sessionID))
        if sessionID != nil {
            guard let key = keys.first else { throw MatrixError(.notFound, "No room key found") }
            return try Self.json(key)
        }
        var rooms: [String: JSONObject] = [:]
        for key in keys { rooms[key.roomID, default: [:]][key.sessionID] = .object(try Self.json(key)) }
        if let roomID { return ["sessions": .object(rooms[roomID] ?? [:])] }
        var result = JSONObject()
        for (roomID, sessions) in rooms { result[roomID] = ["sessions": .object(sessions)] }
        return ["rooms": .object(result)]
    }

    /// Deletes the keys of a version at the level `roomID` and `sessionID` name.
    public func deleteKeys(version: String?, roomID: String?, sessionID: String?, by requester: Requester)
        async throws -> JSONObject {
        let found = try await existing(try Self.required(version), of: requester)
        try await store.deleteKeys(of: requester.userID.description, version: found.version,
                                   RoomKeySelection(roomID: roomID, sessionID: sessionID))
        return try await etagAndCount(found.version, of: requester)
    }

    // MARK: - Helpers

    private func existing(_ version: String?, of requester: Requester) async throws -> KeyBackupVersion {
        let number = try version.map { text throws(MatrixError) in
            guard let number = Int64(text) else { throw Self.unknownVersion(text) }
            return number
        }
        guard let found = try await store.version(of: requester.userID.description, number) else {
            throw version.map(Self.unknownVersion) ?? MatrixError(.notFound, "No current backup version")
        }
        return found
    }

    /// The version keys are written to, which must be the current one.
    private func currentVersion(_ version: String?, of requester: Requester) async throws -> KeyBackupVersion {
        let version = try Self.required(version)
        guard let current = try await store.version(of: requester.userID.description, nil) else {
            throw Self.unknownVersion(version)
        }
        guard String(current.version) == version else {
            throw MatrixError(.wrongRoomKeysVersion, "Wrong backup version",
                              extra: ["current_version": .string(String(current.version))])
        }
        return current
    }

    private func etagAndCount(_ version: Int64, of requester: Requester) async throws -> JSONObject {
        let found = try await existing(String(version), of: requester)
        return ["etag": .string(String(found.etag)), "count": .integer(found.count)]
    }

    private static func required(_ version: String?) throws(MatrixError) -> String {
        guard let version else { throw MatrixError(.missingParam, "Missing parameter 'version'") }
        return version
    }

    private static func unknownVersion(_ version: String) -> MatrixError {
        MatrixError(.notFound, "Unknown backup version \(version)")
    }

    private static func algorithmAndAuthData(_ body: JSONObject) throws -> (String, JSONObject) {
        let algorithm = try body.requiredString("algorithm")
        guard let authData = try body.object("auth_data") else {
            throw MatrixError(.missingParam, "Missing parameter 'auth_data'")
        }
        return (algorithm, authData)
    }

    private static func sessions(_ room: JSONObject, roomID: String) throws -> [BackedUpRoomKey] {
        try (try room.object("sessions") ?? [:]).map { sessionID, key in
            guard let key = key.objectValue else { throw MatrixError(.badJSON, "Session \(sessionID) must be an object") }
            return try Self.key(key, roomID: roomID, sessionID: sessionID)
        }
    }

    /// A `KeyBackupData` object; `400 M_BAD_JSON` when a field is missing or of the wrong type.
    private static func key(_ object: JSONObject, roomID: String, sessionID: String) throws -> BackedUpRoomKey {
        guard let index = try object.integer("first_message_index"), let forwards = try object.integer("forwarded_count"),
              let verified = try object.bool("is_verified"), let data = try object.object("session_data") else {
            throw MatrixError(.badJSON, "Key backup data needs first_message_index, forwarded_count, is_verified "
                                + "and session_data")
        }
        return BackedUpRoomKey(roomID: roomID, sessionID: try sessionID.rejectingNUL("A session ID"),
                               firstMessageIndex: index, forwardedCount: forwards,
                               isVerified: verified, sessionData: data.jsonString())
    }

    private static func json(_ key: BackedUpRoomKey) throws -> JSONObject {
        [
            "first_message_index": .integer(key.firstMessageIndex), "forwarded_count": .integer(key.forwardedCount),
            "is_verified": .bool(key.isVerified), "session_data": try JSONValue(parsing: key.sessionData),
        ]
    }
}
