import Logging
import MatrixCore
import MatrixEvents
import Storage

/// Deactivation, by the user (`/account/deactivate`) or a server admin, as Synapse does it: the
/// account's sessions, password and third-party identifiers go, and the user leaves every room
/// and rejects every invite.
public struct AccountDeactivation: Sendable {
    let accounts: AccountService
    let accountStore: AccountStore
    let roomStore: RoomStore
    let rooms: RoomService
    let logger: Logger

    public init(accounts: AccountService, accountStore: AccountStore, roomStore: RoomStore, rooms: RoomService,
                logger: Logger) {
        self.accounts = accounts
        self.accountStore = accountStore
        self.roomStore = roomStore
        self.rooms = rooms
        self.logger = logger
    }

    /// Deactivates `userID`; with `erase`, also removes their display name and avatar.
    ///
    /// A room that refuses the leave is logged and skipped, so one broken room cannot keep a
    /// deactivated user in every other.
    public func deactivate(_ userID: UserID, erase: Bool) async throws {
        if erase {
            // Not sent to rooms: the user is about to leave them.
            try await accountStore.setDisplayName(nil, for: userID.description)
            try await accountStore.setAvatarURL(nil, for: userID.description)
        }
        try await accounts.deactivate(userID)
        try await leaveAllRooms(userID)
    }

    private func leaveAllRooms(_ userID: UserID) async throws {
        let leaver = Requester(userID: userID, deviceID: "", isAdmin: false)
        for membership in [Membership.join, Membership.invite, Membership.knock] {
            for roomIDText in try await roomStore.rooms(of: userID.description, membership: membership) {
                guard let roomID = try? RoomID(parsing: roomIDText) else { continue }
                do {
                    try await rooms.setMembership(Membership.leave, of: userID, in: roomID, by: leaver)
                } catch let error as MatrixError {
                    logger.warning("deactivated user could not leave room",
                                   metadata: ["user_id": "\(userID)", "room_id": "\(roomIDText)", "error": "\(error)"])
                }
            }
        }
    }
}
