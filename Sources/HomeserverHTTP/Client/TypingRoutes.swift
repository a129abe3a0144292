import Homeserver
import Hummingbird
import MatrixCore

/// Typing notifications: `PUT /rooms/{roomId}/typing/{userId}` with `typing` and `timeout` (ms).
public struct TypingRoutes: Sendable {
    let typing: TypingService

    public init(typing: TypingService) {
        self.typing = typing
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.put("rooms/:roomId/typing/:userId") { request, context in
                let body = try await request.jsonObject()
                guard let isTyping = try body.bool("typing") else {
                    throw MatrixError(.missingParam, "Missing parameter 'typing'")
                }
                try await typing.setTyping(
                    isTyping, timeoutMilliseconds: try body.integer("timeout"), user: try context.userID(),
                    in: try context.roomID(), by: try context.requireRequester()
                )
                return JSONObject()
            }
        }
    }
}
