import Hummingbird
import MatrixCore
import Metrics

/// Counts requests and records their latency by route template, method and status.
///
/// Metrics: `trellis_http_requests_total` (counter) and `trellis_http_request_duration_seconds`
/// (histogram). Requests that matched no route share one route label (Hummingbird names it `NotFound`), so probes of
/// random paths cannot blow up the label set. Place it outermost, above `MatrixErrorMiddleware`,
/// so the status it sees is the one sent.
///
/// The counter and timer of each label set are made once: making them asks the metrics backend
/// to look the label set up, which a `/sync` fan-out would otherwise do thousands of times at once.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private struct Labels: Hashable, Sendable {
        var route: String
        var method: String
        var status: Int
    }

    private let handles = Memo<Labels, (count: Counter, duration: Metrics.Timer)>()

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let labels = Labels(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                            status: response.status.code)
        let metrics = handles.value(for: labels) {
            let dimensions = [("route", labels.route), ("method", labels.method), ("status", String(labels.status))]
            return (Counter(label: "trellis_http_requests_total", dimensions: dimensions),
                    Metrics.Timer(label: "trellis_http_request_duration_seconds", dimensions: dimensions,
                                  preferredDisplayUnit: .seconds))
        }
        metrics.count.increment()
        metrics.duration.record(duration: ContinuousClock.now - start)
        return response
    }
}
