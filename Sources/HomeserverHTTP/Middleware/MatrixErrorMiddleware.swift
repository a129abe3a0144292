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
        } catch let challenge as AuthenticationChallenge {
            return .json(challenge.body, status: .unauthorized)
        } catch {
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
}
