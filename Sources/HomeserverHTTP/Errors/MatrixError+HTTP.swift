import Homeserver
import Hummingbird
import NIOCore
import MatrixCore

/// The one table from Matrix error codes to HTTP status codes.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#standard-error-response
extension MatrixError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch code {
        case .forbidden, .guestAccessForbidden, .userDeactivated, .threepidDenied, .wrongRoomKeysVersion: .forbidden
        case .unknownToken, .missingToken, .unauthorized: .unauthorized
        case .notFound, .unrecognized: .notFound
        case .limitExceeded: .tooManyRequests
        case .tooLarge: .contentTooLarge
        case .cannotOverwriteMedia: .conflict
        case .notYetUploaded: .gatewayTimeout
        // M_UNKNOWN thrown on purpose is a client error (e.g. an unknown login type, as the spec
        // and Synapse answer it); failures nobody anticipated become 500 in `status(for:mapped:isUnexpected:)`.
        default: .badRequest
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response.json(body, status: status)
    }
}

extension MatrixError {
    /// The answer for a path no route serves.
    static let unrecognizedEndpoint = MatrixError(.unrecognized, "Unrecognized request")

    /// Converts any error that reached the HTTP edge into a Matrix error.
    ///
    /// Errors that are not already Matrix errors are mapped by what they mean to the client;
    /// anything unexpected becomes `M_UNKNOWN` with status 500 and is logged by the caller.
    static func from(_ error: any Error) -> (error: MatrixError, isUnexpected: Bool) {
        switch error {
        case let matrixError as MatrixError:
            return (matrixError, false)
        case is UnsupportedMethodError:
            return (MatrixError(.unrecognized, "Unrecognized request"), false)
        case let reserved as ReservedAccountDataType:
            return (MatrixError(.badJSON, reserved.description), false)
        case let tooLarge as RemoteMediaTooLarge:
            return (MatrixError(.tooLarge, "The remote media is larger than \(tooLarge.limit) bytes"), false)
        case is NIOTooManyBytesError:
            return (MatrixError(.tooLarge, "Request body too large"), false)
        case let httpError as HTTPError:
            switch httpError.status {
            case .notFound: return (.unrecognizedEndpoint, false)
            case .contentTooLarge: return (MatrixError(.tooLarge, "Request body too large"), false)
            case .badRequest: return (MatrixError(.badJSON, httpError.body ?? "Bad request"), false)
            default: return (MatrixError(.unknown, httpError.body ?? "Internal server error"), true)
            }
        default:
            return (MatrixError(.unknown, "Internal server error"), true)
        }
    }

    /// The status for an error: the table above, except `405` for a known path called with the
    /// wrong method and, as Synapse answers, for account data types that have their own endpoint,
    /// and `502` for remote media too large to fetch (the spec's download answer); `500` for an
    /// unexpected error.
    static func status(for error: any Error, mapped: MatrixError, isUnexpected: Bool) -> HTTPResponse.Status {
        if isUnexpected { return .internalServerError }
        if error is RemoteMediaTooLarge { return .badGateway }
        return error is UnsupportedMethodError || error is ReservedAccountDataType ? .methodNotAllowed : mapped.status
    }
}
