import Homeserver
import Hummingbird
import MatrixCore

/// A user's own account data: `/user/{userId}/account_data/{type}` and
/// `/user/{userId}/rooms/{roomId}/account_data/{type}`, `GET` and `PUT`.
public struct AccountDataRoutes: Sendable {
    let accountData: AccountDataService

    public init(accountData: AccountDataService) {
        self.accountData = accountData
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            for (path, isRoom) in [
                ("user/:userId/account_data/:type", false), ("user/:userId/rooms/:roomId/account_data/:type", true),
            ] {
                group.get(RouterPath(path)) { _, context in
                    try await accountData.content(
                        type: try context.pathParameter("type"), roomID: isRoom ? try context.roomID() : nil,
                        owner: try context.userID(), requester: try context.requireRequester()
                    )
                }
                group.put(RouterPath(path)) { request, context in
                    try await accountData.set(
                        try await request.jsonObject(), type: try context.pathParameter("type"),
                        roomID: isRoom ? try context.roomID() : nil, owner: try context.userID(),
                        by: try context.requireRequester()
                    )
                    return JSONObject()
                }
            }
        }
    }
}
