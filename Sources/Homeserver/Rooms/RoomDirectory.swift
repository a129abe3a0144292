import MatrixCore
import MatrixEvents
import Storage

/// Local room aliases and the public room directory listing.
public struct RoomDirectory: Sendable {
    let rooms: RoomStore
    let serverName: ServerName

    public init(rooms: RoomStore, serverName: ServerName) {
        self.rooms = rooms
        self.serverName = serverName
    }

    /// The room an alias of this server points to, and the servers to join it through.
    public func resolve(_ alias: RoomAlias) async throws -> (roomID: String, servers: [String]) {
        guard let roomID = try await rooms.roomID(forAlias: alias.description) else {
            throw MatrixError(.notFound, "Room alias \(alias) not found")
        }
        return (roomID, [serverName.description])
    }

    /// Points a local alias at a room the requester is joined to (`409 M_ROOM_IN_USE` when taken).
    public func createAlias(_ alias: RoomAlias, for roomID: RoomID, by requester: Requester) async throws {
        guard alias.serverName == serverName else {
            throw MatrixError(.invalidParam, "Room alias must be on this server")
        }
        guard try await rooms.membership(of: requester.userID.description, in: roomID.description)?.membership
            == Membership.join
        else { throw MatrixError(.forbidden, "You must be joined to the room to give it an alias") }
        guard try await rooms.createAlias(alias.description, roomID: roomID.description,
                                          creator: requester.userID.description)
        else { throw MatrixError(.roomInUse, "Room alias \(alias) already exists") }
    }

    /// Deletes an alias; its creator and server admins may.
    public func deleteAlias(_ alias: RoomAlias, by requester: Requester) async throws {
        guard let (_, creator) = try await rooms.aliasCreator(alias.description) else {
            throw MatrixError(.notFound, "Room alias \(alias) not found")
        }
        guard creator == requester.userID.description || requester.isAdmin else {
            throw MatrixError(.forbidden, "You may not delete this alias")
        }
        _ = try await rooms.deleteAlias(alias.description)
    }

    /// The local aliases of a room, for its members (`403` for others).
    public func aliases(of roomID: RoomID, for requester: Requester) async throws -> [String] {
        guard try await rooms.membership(of: requester.userID.description, in: roomID.description)?.membership
            == Membership.join || requester.isAdmin
        else { throw MatrixError(.forbidden, "You are not in the room") }
        return try await rooms.aliases(of: roomID.description)
    }

    /// Whether the room is listed in the public directory (`404` for an unknown room).
    public func isPublic(_ roomID: RoomID) async throws -> Bool {
        guard let room = try await rooms.room(roomID.description) else { throw MatrixError(.notFound, "Unknown room") }
        return room.isPublic
    }

    /// Lists or unlists a room: joined members and server admins may.
    public func setPublic(_ isPublic: Bool, room roomID: RoomID, by requester: Requester) async throws {
        guard try await rooms.room(roomID.description) != nil else { throw MatrixError(.notFound, "Unknown room") }
        let membership = try await rooms.membership(of: requester.userID.description, in: roomID.description)
        guard requester.isAdmin || membership?.membership == Membership.join else {
            throw MatrixError(.forbidden, "You must be joined to the room to publish it")
        }
        try await rooms.setPublic(roomID.description, isPublic: isPublic)
    }
}
