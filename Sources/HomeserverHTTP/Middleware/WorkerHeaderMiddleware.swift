import HTTPTypes
import Hummingbird

/// Names the worker kind that answered in an `X-Trellis-Worker` response header.
///
/// Operators read it to check the load balancer's routing; the end-to-end tests assert on it.
public struct WorkerHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    public static var headerName: HTTPField.Name { HTTPField.Name("X-Trellis-Worker")! }
    public let workerKind: String

    public init(workerKind: String) {
        self.workerKind = workerKind
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.headerName] = workerKind
        return response
    }
}
