import Foundation
import Homeserver
import Hummingbird
import MatrixAPI
import MatrixCore

/// The federation endpoints that need no authentication: version and published keys.
public struct FederationInfoRoutes: Sendable {
    public let keyPublisher: ServerKeyPublisher
    public let implementationVersion: String

    public init(keyPublisher: ServerKeyPublisher, implementationVersion: String) {
        self.keyPublisher = keyPublisher
        self.implementationVersion = implementationVersion
    }

    public func register(on router: Router<MatrixRequestContext>) {
        router.get(RouterPath(FederationVersion.path)) { _, _ in
            FederationVersion.Response(name: "Trellis", version: implementationVersion)
        }
        router.get(RouterPath(ServerKeys.path)) { _, _ in
            JSONValue.object(try keyPublisher.keyDocument(nowMilliseconds: Self.nowMilliseconds()))
        }
        router.post(RouterPath(ServerKeys.queryPath)) { request, _ in
            let criteria = try await request.jsonObject()
            return JSONValue.object(try keyPublisher.queryResponse(for: criteria, nowMilliseconds: Self.nowMilliseconds()))
        }
    }

    static func nowMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}

extension FederationVersion.Response: ResponseEncodable {}
