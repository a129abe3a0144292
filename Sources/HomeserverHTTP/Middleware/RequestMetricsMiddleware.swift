import Hummingbird
import Metrics

/// Counts requests and records their latency by route template, method and status.
///
/// Metrics: `trellis_http_requests_total` (counter) and `trellis_http_request_duration_seconds`
/// (histogram). Requests that matched no route share one route label (Hummingbird names it `NotFound`), so probes of
/// random paths cannot blow up the label set. Place it outermost, above `MatrixErrorMiddleware`,
/// so the status it sees is the one sent.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let dimensions = [
            ("route", context.endpointPath ?? "unmatched"),
            ("method", request.method.rawValue),
            ("status", String(response.status.code)),
        ]
        Counter(label: "trellis_http_requests_total", dimensions: dimensions).increment()
        Timer(label: "trellis_http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .record(duration: ContinuousClock.now - start)
        return response
    }
}
