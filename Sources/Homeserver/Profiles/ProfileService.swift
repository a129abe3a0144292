import Logging
import MatrixCore
import MatrixEvents
import Storage

/// Display names and avatars of local users, copied into their member events.
public struct ProfileService: Sendable {
    let accounts: AccountStore
    let rooms: RoomStore
    let persister: EventPersister
    let logger: Logger

    /// Longest display name accepted, in characters (Synapse's limit).
    public static let maximumDisplayNameLength = 256
    /// Longest avatar URL accepted, in characters.
    public static let maximumAvatarURLLength = 1000

    public init(accounts: AccountStore, rooms: RoomStore, persister: EventPersister, logger: Logger) {
        self.accounts = accounts
        self.rooms = rooms
        self.persister = persister
        self.logger = logger
    }

    /// The profile of a local user, or `404 M_NOT_FOUND`.
    public func profile(of userID: UserID) async throws -> (displayName: String?, avatarURL: String?) {
        guard let user = try await accounts.user(userID.description), !user.deactivated else {
            throw MatrixError(.notFound, "Profile was not found")
        }
        return (user.displayName, user.avatarURL)
    }

    /// The content of a member event for `userID`, with its display name and avatar when local.
    public func memberContent(for userID: UserID, membership: String) async throws -> JSONObject {
        var content: JSONObject = ["membership": .string(membership)]
        if let user = try await accounts.user(userID.description) {
            if let name = user.displayName { content["displayname"] = .string(name) }
            if let avatar = user.avatarURL { content["avatar_url"] = .string(avatar) }
        }
        return content
    }

    /// Sets the user's display name and updates their member event in every joined room.
    public func setDisplayName(_ name: String?, for userID: UserID) async throws {
        try Self.validate(displayName: name)
        try await accounts.setDisplayName(name, for: userID.description)
        try await propagate(field: "displayname", value: name, for: userID)
    }

    /// Sets the user's avatar and updates their member event in every joined room.
    public func setAvatarURL(_ url: String?, for userID: UserID) async throws {
        try Self.validate(avatarURL: url)
        try await accounts.setAvatarURL(url, for: userID.description)
        try await propagate(field: "avatar_url", value: url, for: userID)
    }

    /// `400 M_INVALID_PARAM` for a display name longer than ``maximumDisplayNameLength`` or
    /// holding NUL.
    public static func validate(displayName: String?) throws(MatrixError) {
        _ = try displayName?.rejectingNUL("A display name")
        if let displayName, displayName.count > maximumDisplayNameLength {
            throw MatrixError(.invalidParam, "Display name is too long (max \(maximumDisplayNameLength))")
        }
    }

    /// `400 M_INVALID_PARAM` for an avatar URL longer than ``maximumAvatarURLLength`` or holding NUL.
    public static func validate(avatarURL: String?) throws(MatrixError) {
        _ = try avatarURL?.rejectingNUL("An avatar URL")
        if let avatarURL, avatarURL.count > maximumAvatarURLLength {
            throw MatrixError(.invalidParam, "Avatar URL is too long (max \(maximumAvatarURLLength))")
        }
    }

    /// Sends a new join event with the changed field into each joined room. A room that refuses
    /// it (e.g. power levels changed) is logged and skipped, as Synapse does.
    private func propagate(field: String, value: String?, for userID: UserID) async throws {
        for roomIDText in try await rooms.rooms(of: userID.description, membership: Membership.join) {
            guard let roomID = try? RoomID(parsing: roomIDText),
                  let (_, current) = try await rooms.membership(of: userID.description, in: roomIDText)
            else { continue }
            var content = try current.pdu().content
            content[field] = value.map(JSONValue.string)
            if value == nil { content.removeValue(forKey: field) }
            do {
                _ = try await persister.send(
                    EventDraft(type: EventType.member, stateKey: userID.description, sender: userID, content: content),
                    in: roomID
                )
            } catch let error as MatrixError {
                logger.warning("profile change not applied to room",
                               metadata: ["room_id": "\(roomIDText)", "error": "\(error)"])
            }
        }
    }
}
