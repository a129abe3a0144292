import Hummingbird
import MatrixCore

/// Renders every error thrown below it as the spec's JSON error body.
///
/// Unknown paths become `404 M_UNRECOGNIZED`, oversized bodies `413 M_TOO_LARGE`, and any
/// unexpected error `500 M_UNKNOWN`, logged with its details, so no failure escapes as a
/// bare status or a dropped connection.
public struct MatrixErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(to: error, of: request, context: context)
        }
    }

    /// The error response to `error`. A function of its own, never inlined, so that its
    /// temporaries stay out of the async frame that every request holds while it runs (a long-poll
    /// holds it for up to its timeout).
    @inline(never)
    private static func response(to error: any Error, of request: Request, context: Context) -> Response {
        if let challenge = error as? AuthenticationChallenge {
            return .json(challenge.body, status: .unauthorized)
        }
        let (matrixError, isUnexpected) = MatrixError.from(error)
        if isUnexpected {
            context.logger.error(
                "request failed",
                metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"]
            )
        }
        return .json(matrixError.body, status: MatrixError.status(for: error, mapped: matrixError, isUnexpected: isUnexpected))
    }
}
