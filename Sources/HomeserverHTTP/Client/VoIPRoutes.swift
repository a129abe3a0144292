import Homeserver
import Hummingbird
import MatrixAPI
import MatrixCore

/// `GET /voip/turnServer`: the TURN server with the requester's credentials, or `{}` when
/// there is none.
public struct VoIPRoutes: Sendable {
    let turn: TURNCredentials

    public init(turn: TURNCredentials) {
        self.turn = turn
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("voip/turnServer") { _, context in
                TURNServer.response(for: turn.server(for: try context.requireRequester().userID))
            }
        }
    }
}
