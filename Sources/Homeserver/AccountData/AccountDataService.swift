import Logging
import MatrixAPI
import MatrixCore
import Replication
import Storage

/// Users' own account data, global and per room (`/user/{userId}/[rooms/{roomId}/]account_data`).
///
/// Each change is stored at a new position of the account data stream and, after `COMMIT`,
/// announced on ``StreamName/accountData`` so sync workers wake up and read it from PostgreSQL.
public struct AccountDataService: Sendable {
    let store: AccountDataStore
    let announcer: StreamAnnouncer

    public init(store: AccountDataStore, publisher: StreamPublisher, logger: Logger) {
        self.store = store
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
    }

    /// One type of `owner`'s account data, global or for `roomID`: only the owner may read it
    /// (`403`), `404 M_NOT_FOUND` when unset. Global `m.push_rules` are the user's push rules.
    public func content(
        type: String, roomID: RoomID?, owner: UserID, requester: Requester
    ) async throws -> JSONObject {
        guard owner == requester.userID else {
            throw MatrixError(.forbidden, "Cannot get account data for other users.")
        }
        if type == "m.push_rules" {
            return roomID == nil ? ["global": .object(PushRuleset.predefined(for: owner).json)] : [:]
        }
        guard let content = try await content(type: type, roomID: roomID, of: owner) else {
            throw MatrixError(.notFound, roomID == nil ? "Account data not found" : "Room account data not found")
        }
        return content
    }

    /// Sets one type of `owner`'s account data, global or for `roomID`: only the owner may
    /// (`403`), and not the types with their own endpoints (``ReservedAccountDataType``).
    public func set(
        _ content: JSONObject, type: String, roomID: RoomID?, owner: UserID, by requester: Requester
    ) async throws {
        guard owner == requester.userID else {
            throw MatrixError(.forbidden, "Cannot add account data for other users.")
        }
        try ReservedAccountDataType.check(type)
        try await store(content, type: type, roomID: roomID, of: owner)
    }

    /// The stored content, without permission checks, for services that keep their data here.
    func content(type: String, roomID: RoomID?, of userID: UserID) async throws -> JSONObject? {
        guard let text = try await store.content(userID: userID.description, roomID: roomID?.description, type: type)
        else { return nil }
        return try JSONValue(parsing: text).objectValue
    }

    /// Stores and announces a change, without permission checks: the path of `m.fully_read`.
    func store(_ content: JSONObject, type: String, roomID: RoomID?, of userID: UserID) async throws {
        let position = try await store.put(userID: userID.description, roomID: roomID?.description, type: type,
                                           content: content.jsonString())
        var fields = ["position": String(position), "user_id": userID.description, "type": type]
        if let roomID { fields["room_id"] = roomID.description }
        await announcer.announce(.accountData, fields)
    }
}
