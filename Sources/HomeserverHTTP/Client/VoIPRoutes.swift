import Hummingbird
import MatrixAPI
import MatrixCore

/// `GET /voip/turnServer`: the configured TURN server, or `{}` when there is none.
public struct VoIPRoutes: Sendable {
    let turnServer: TURNServer?

    public init(turnServer: TURNServer?) {
        self.turnServer = turnServer
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        let response = TURNServer.response(for: turnServer)
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("voip/turnServer") { _, _ in response }
        }
    }
}
