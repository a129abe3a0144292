import Hummingbird
import Metrics
import Synchronization

/// Counts requests and records their latency by route template, method and status.
///
/// Metrics: `trellis_http_requests_total` (counter) and `trellis_http_request_duration_seconds`
/// (histogram). Requests that matched no route share one route label (Hummingbird names it `NotFound`), so probes of
/// random paths cannot blow up the label set. Place it outermost, above `MatrixErrorMiddleware`,
/// so the status it sees is the one sent.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let handles = RequestMetricHandles()

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let (count, duration) = handles.metrics(for: RequestMetricHandles.Labels(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code
        ))
        count.increment()
        duration.record(duration: ContinuousClock.now - start)
        return response
    }
}

/// The counter and timer of each label set, made once: making them asks the metrics backend to
/// look the label set up, which a `/sync` fan-out would otherwise do thousands of times at once.
final class RequestMetricHandles: Sendable {
    struct Labels: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private let handles = Mutex<[Labels: (Counter, Metrics.Timer)]>([:])

    func metrics(for labels: Labels) -> (Counter, Metrics.Timer) {
        handles.withLock { handles in
            if let made = handles[labels] { return made }
            let dimensions = [("route", labels.route), ("method", labels.method), ("status", String(labels.status))]
            let made = (
                Counter(label: "trellis_http_requests_total", dimensions: dimensions),
                Metrics.Timer(label: "trellis_http_request_duration_seconds", dimensions: dimensions,
                              preferredDisplayUnit: .seconds)
            )
            handles[labels] = made
            return made
        }
    }
}
