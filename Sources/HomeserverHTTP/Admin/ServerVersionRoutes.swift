import Homeserver
import Hummingbird
import MatrixCore

/// `GET /_synapse/admin/v1/server_version`: `{"server_version": …}`, without authentication as
/// in Synapse, so tools that check the version before anything else work.
public struct ServerVersionRoutes: Sendable {
    public init() {}

    public func register(on router: Router<MatrixRequestContext>) {
        router.publicAdminGroup().get("v1/server_version") { _, _ in
            ["server_version": .string(TrellisVersion.current)] as JSONObject
        }
    }
}
