import Homeserver
import Hummingbird
import MatrixCore

/// Server-side key backup: `/room_keys/version[/{version}]` and
/// `/room_keys/keys[/{roomId}[/{sessionId}]]?version=`.
public struct KeyBackupRoutes: Sendable {
    let backup: KeyBackupService

    public init(backup: KeyBackupService) {
        self.backup = backup
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            registerVersions(on: group)
            // The three levels of keys: every room, one room, one session.
            for path in ["room_keys/keys", "room_keys/keys/:roomId", "room_keys/keys/:roomId/:sessionId"] {
                group.put(RouterPath(path)) { request, context in
                    let (roomID, sessionID) = Self.level(context)
                    return try await backup.putKeys(try await request.jsonObject(),
                                                    version: request.uri.queryParameters.get("version"),
                                                    roomID: roomID, sessionID: sessionID,
                                                    by: try context.requireRequester())
                }
                group.get(RouterPath(path)) { request, context in
                    let (roomID, sessionID) = Self.level(context)
                    return try await backup.keys(version: request.uri.queryParameters.get("version"), roomID: roomID,
                                                 sessionID: sessionID, of: try context.requireRequester())
                }
                group.delete(RouterPath(path)) { request, context in
                    let (roomID, sessionID) = Self.level(context)
                    return try await backup.deleteKeys(version: request.uri.queryParameters.get("version"),
                                                       roomID: roomID, sessionID: sessionID,
                                                       by: try context.requireRequester())
                }
            }
        }
    }

    private func registerVersions(on group: RouterGroup<MatrixRequestContext>) {
        group.post("room_keys/version") { request, context in
            let version = try await backup.createVersion(try await request.jsonObject(),
                                                         by: try context.requireRequester())
            return ["version": .string(version)] as JSONObject
        }
        group.get("room_keys/version") { _, context in
            try await backup.version(nil, of: try context.requireRequester())
        }
        group.get("room_keys/version/:version") { _, context in
            try await backup.version(try context.pathParameter("version"), of: try context.requireRequester())
        }
        group.put("room_keys/version/:version") { request, context in
            try await backup.updateVersion(try context.pathParameter("version"), try await request.jsonObject(),
                                           by: try context.requireRequester())
            return JSONObject()
        }
        group.delete("room_keys/version/:version") { _, context in
            try await backup.deleteVersion(try context.pathParameter("version"), by: try context.requireRequester())
            return JSONObject()
        }
    }

    /// The room and session a keys path names, when it names them.
    private static func level(_ context: MatrixRequestContext) -> (roomID: String?, sessionID: String?) {
        (try? context.pathParameter("roomId"), try? context.pathParameter("sessionId"))
    }
}
