import Foundation
import Homeserver
import Hummingbird
import MatrixCore

/// The request context of every Matrix listener.
///
/// Body size is enforced by `BodyLimitMiddleware` with the configured limit, so the
/// context does not carry its own upload limit.
public struct MatrixRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The user and device of the access token, set by `AccessTokenMiddleware`.
    public var requester: Requester?
    /// The server that signed a federation request, set by `FederationAuthMiddleware`.
    public var origin: ServerName?
    /// The address of the peer (the load balancer, or the client when reached directly).
    public let peerAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The authenticated requester; routes behind `AccessTokenMiddleware` always have one.
    public func requireRequester() throws -> Requester {
        guard let requester else { throw MatrixError(.missingToken, "Missing access token") }
        return requester
    }

    /// A path parameter, percent-decoded (room IDs arrive as `%21room%3Aserver`).
    public func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw MatrixError(.invalidParam, "Malformed path parameter '\(name)'")
        }
        return try decoded.rejectingNUL("Path parameter '\(name)'")
    }

    /// A path parameter that must be a room ID.
    public func roomID(_ name: String = "roomId") throws -> RoomID {
        guard let roomID = try? RoomID(parsing: try pathParameter(name)) else {
            throw MatrixError(.invalidParam, "Invalid room ID")
        }
        return roomID
    }

    /// A path parameter that must be a user ID.
    public func userID(_ name: String = "userId") throws -> UserID {
        guard let userID = try? UserID(parsing: try pathParameter(name)) else {
            throw MatrixError(.invalidParam, "Invalid user ID")
        }
        return userID
    }
}
