import Homeserver
import Hummingbird
import MatrixCore
import MatrixCrypto

/// Authenticates a server-server request by its `Authorization: X-Matrix` signature and puts
/// the signing server into the context; anything else is `401 M_UNAUTHORIZED`.
///
/// Spec: https://spec.matrix.org/v1.16/server-server-api/#request-authentication
public struct FederationAuthMiddleware: RouterMiddleware {
    public typealias Context = MatrixRequestContext
    let serverName: String
    let keyRing: ServerKeyRing
    /// Largest signed JSON body read to check the signature.
    static let maxContentBytes = 1 << 20

    public init(serverName: String, keyRing: ServerKeyRing) {
        self.serverName = serverName
        self.keyRing = keyRing
    }

    public func handle(
        _ request: Request, context: MatrixRequestContext,
        next: (Request, MatrixRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[values: .authorization].first(where: { $0.lowercased().hasPrefix("x-matrix") }),
              let authorization = try? XMatrixAuthorization(parsing: header)
        else { throw MatrixError(.unauthorized, "Missing or malformed X-Matrix authorization") }
        guard authorization.destination == nil || authorization.destination == serverName else {
            throw MatrixError(.unauthorized, "The request is for another server")
        }
        guard let origin = try? ServerName(parsing: authorization.origin) else {
            throw MatrixError(.unauthorized, "Invalid origin server name")
        }
        var request = request
        let body = try await request.collectBody(upTo: Self.maxContentBytes)
        let content = body.readableBytes == 0 ? nil : try? JSONValue(parsing: Array(body.readableBytesView))
        let key: [UInt8]?
        do {
            key = try await keyRing.key(authorization.key, of: origin)
        } catch {
            context.logger.info("no key for a signed request", metadata: ["origin": "\(origin)", "error": "\(error)"])
            throw MatrixError(.unauthorized, "Could not fetch the signing key \(authorization.key) of \(origin)")
        }
        guard let key else { throw MatrixError(.unauthorized, "Unknown signing key \(authorization.key) of \(origin)") }
        do {
            try authorization.verify(method: request.method.rawValue, uri: request.uri.description,
                                     destination: serverName, content: content, publicKey: key)
        } catch {
            throw MatrixError(.unauthorized, "Invalid X-Matrix signature")
        }
        var context = context
        context.origin = origin
        return try await next(request, context)
    }
}
