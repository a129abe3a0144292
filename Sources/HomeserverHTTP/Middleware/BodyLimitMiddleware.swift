import Hummingbird
import NIOCore
import MatrixCore

/// Rejects request bodies larger than the configured limit with `413 M_TOO_LARGE`.
///
/// A declared `Content-Length` over the limit is refused before reading; otherwise the body
/// is collected up to the limit, so a chunked upload cannot exceed it either.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    public let maxBytes: Int

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        try Self.refuseDeclaredLength(of: request, over: maxBytes)
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw MatrixError(.tooLarge, "Request body too large (limit \(maxBytes) bytes)")
        }
        return try await next(request, context)
    }

    /// `413 M_TOO_LARGE` when the request declares a `Content-Length` over `maxBytes`, before
    /// any of the body is read (also for routes that stream their bodies).
    static func refuseDeclaredLength(of request: Request, over maxBytes: Int) throws {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw MatrixError(.tooLarge, "Request body too large (limit \(maxBytes) bytes)")
        }
    }
}
