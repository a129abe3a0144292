import Homeserver
import Hummingbird
import MatrixCore

/// `GET` and `PUT /presence/{userId}/status`.
public struct PresenceRoutes: Sendable {
    let presence: PresenceService

    public init(presence: PresenceService) {
        self.presence = presence
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("presence/:userId/status") { _, context in
                try await presence.status(of: try context.userID(), for: try context.requireRequester())
            }
            group.put("presence/:userId/status") { request, context in
                let body = try await request.jsonObject()
                try await presence.setStatus(presence: try body.requiredString("presence"),
                                             statusMessage: try body.string("status_msg"), of: try context.userID(),
                                             by: try context.requireRequester())
                return JSONObject()
            }
        }
    }
}
