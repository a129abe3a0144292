import HTTPTypes
import Hummingbird

/// Made once: a generic type cannot store it, and parsing it per response costs an allocation.
private let workerHeaderName = HTTPField.Name("X-Trellis-Worker")!

/// Names the worker kind that answered in an `X-Trellis-Worker` response header, and adds the
/// listener's other fixed headers (the media worker's security headers), to every response,
/// errors included.
///
/// Operators read the worker header to check the load balancer's routing; the end-to-end tests
/// assert on it.
public struct WorkerHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    public static var headerName: HTTPField.Name { workerHeaderName }
    public let workerKind: String
    public let extraHeaders: HTTPFields

    public init(workerKind: String, extraHeaders: HTTPFields = [:]) {
        self.workerKind = workerKind
        self.extraHeaders = extraHeaders
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.headerName] = workerKind
        response.headers.append(contentsOf: extraHeaders)
        return response
    }
}
