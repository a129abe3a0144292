import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics, bootstrapped once at start-up.
public struct Observability: Sendable {
    /// The registry behind `/metrics`.
    public let registry: PrometheusCollectorRegistry
    let processMetrics: ProcessMetrics

    /// Bootstraps swift-log and swift-metrics for this process. Call once, before any logger exists.
    public static func bootstrap(logging: TrellisConfig.Logging, instance: String) -> Observability {
        let level = Logger.Level(rawValue: logging.level) ?? .info
        let format = StructuredLogHandler.Format(rawValue: logging.format) ?? .json
        LoggingSystem.bootstrap { label in
            var handler = StructuredLogHandler(label: label, level: level, format: format)
            handler.metadata["instance"] = .string(instance)
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return Observability(registry: registry, processMetrics: ProcessMetrics(registry: registry))
    }

    /// The Prometheus text exposition of every metric, process gauges refreshed first.
    public func renderMetrics() -> String {
        processMetrics.update()
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
