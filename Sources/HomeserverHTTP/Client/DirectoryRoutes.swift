import Homeserver
import Hummingbird
import MatrixCore
import Storage

/// Room aliases (`/directory/room/{roomAlias}`) and a room's listing in the public directory.
public struct DirectoryRoutes: Sendable {
    let directory: RoomDirectory

    public init(directory: RoomDirectory) {
        self.directory = directory
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: nil) {
            group.get("directory/room/:roomAlias") { _, context in
                let (roomID, servers) = try await directory.resolve(try context.alias())
                return ["room_id": .string(roomID), "servers": .array(servers.map(JSONValue.string))] as JSONObject
            }
            group.get("directory/list/room/:roomId") { _, context in
                let isPublic = try await directory.isPublic(try context.roomID())
                return ["visibility": .string(isPublic ? "public" : "private")] as JSONObject
            }
        }
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("rooms/:roomId/aliases") { _, context in
                let aliases = try await directory.aliases(of: try context.roomID(), for: try context.requireRequester())
                return ["aliases": .array(aliases.map(JSONValue.string))] as JSONObject
            }
            group.put("directory/room/:roomAlias") { request, context in
                let body = try await request.jsonObject()
                guard let roomID = try? RoomID(parsing: try body.requiredString("room_id")) else {
                    throw MatrixError(.invalidParam, "Invalid room_id")
                }
                try await directory.createAlias(try context.alias(), for: roomID, by: try context.requireRequester())
                return JSONObject()
            }
            group.delete("directory/room/:roomAlias") { _, context in
                try await directory.deleteAlias(try context.alias(), by: try context.requireRequester())
                return JSONObject()
            }
            group.put("directory/list/room/:roomId") { request, context in
                let visibility = try await request.jsonObject().string("visibility") ?? "public"
                guard visibility == "public" || visibility == "private" else {
                    throw MatrixError(.invalidParam, "visibility must be 'public' or 'private'")
                }
                try await directory.setPublic(visibility == "public", room: try context.roomID(),
                                              by: try context.requireRequester())
                return JSONObject()
            }
        }
    }
}

extension MatrixRequestContext {
    /// The `roomAlias` path parameter as a room alias.
    func alias() throws -> RoomAlias {
        guard let alias = try? RoomAlias(parsing: try pathParameter("roomAlias")) else {
            throw MatrixError(.invalidParam, "Invalid room alias")
        }
        return alias
    }
}
