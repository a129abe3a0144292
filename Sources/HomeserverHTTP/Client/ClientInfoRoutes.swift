import Hummingbird
import MatrixAPI
import MatrixCore

/// The discovery endpoints every client calls first: versions and the `.well-known` documents.
public struct ClientInfoRoutes: Sendable {
    /// Public base URL of the client API, for `/.well-known/matrix/client`.
    public let publicBaseURL: String
    /// `host[:port]` that serves federation, for `/.well-known/matrix/server`; `nil` serves 404.
    public let federationDelegate: String?

    public init(publicBaseURL: String, federationDelegate: String?) {
        self.publicBaseURL = publicBaseURL
        self.federationDelegate = federationDelegate
    }

    public func register(on router: Router<MatrixRequestContext>) {
        router.get(RouterPath(ClientVersions.path)) { _, _ in
            ClientVersions.Response(versions: ClientVersions.supported)
        }
        router.get(RouterPath(WellKnownClient.path)) { _, _ in
            WellKnownClient.Response(baseURL: publicBaseURL)
        }
        router.get(RouterPath(WellKnownServer.path)) { _, _ in
            guard let federationDelegate else {
                throw MatrixError(.notFound, "No server delegation configured")
            }
            return WellKnownServer.Response(server: federationDelegate)
        }
    }
}

extension ClientVersions.Response: ResponseEncodable {}
extension WellKnownClient.Response: ResponseEncodable {}
extension WellKnownServer.Response: ResponseEncodable {}
