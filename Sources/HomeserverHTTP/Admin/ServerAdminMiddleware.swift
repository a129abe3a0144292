import Hummingbird
import MatrixCore

/// Lets only server admins through; runs after `AccessTokenMiddleware`.
struct ServerAdminMiddleware: RouterMiddleware {
    typealias Context = MatrixRequestContext

    func handle(
        _ request: Request, context: MatrixRequestContext,
        next: (Request, MatrixRequestContext) async throws -> Response
    ) async throws -> Response {
        guard try context.requireRequester().isAdmin else {
            throw MatrixError(.forbidden, "You are not a server admin")
        }
        return try await next(request, context)
    }
}
