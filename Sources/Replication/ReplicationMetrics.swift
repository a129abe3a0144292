import Foundation
import Metrics

/// Names of the metrics this module reports (swift-metrics; the process picks the backend).
enum ReplicationMetrics {
    static func published(_ stream: StreamName) -> Counter {
        Counter(label: "trellis_replication_published_total", dimensions: [("stream", stream.topic)])
    }

    static func consumed(_ stream: StreamName, group: String?) -> Counter {
        Counter(label: "trellis_replication_consumed_total",
                dimensions: [("stream", stream.topic), ("group", group ?? "")])
    }

    static func acknowledged(_ stream: StreamName, group: String) -> Counter {
        Counter(label: "trellis_replication_acknowledged_total", dimensions: [("stream", stream.topic), ("group", group)])
    }

    /// The round-trip histogram of one command (`trellis_redis_command_duration_seconds`), for
    /// commands that Redis answers at once; the caller keeps it (see `RedisConnectionWorker`).
    static func roundTrip(_ command: String) -> Timer {
        Timer(label: "trellis_redis_command_duration_seconds", dimensions: [("command", command)],
              preferredDisplayUnit: .seconds)
    }

    /// After an entry with a PostgreSQL `position` field was appended: the writer's position
    /// (`trellis_stream_position`).
    static func published(_ stream: StreamName, fields: [String: String]) {
        published(stream).increment()
        if let position = fields["position"].flatMap(Int64.init) {
            Gauge(label: "trellis_stream_position", dimensions: [("stream", stream.topic)]).record(position)
        }
    }

    /// After a reader (of `group`, or a plain `XREAD` reader) got `entries`: how many, the newest
    /// PostgreSQL position among them (`trellis_replication_position`) and, for entries read as
    /// they arrive (`isFresh`; not re-deliveries or reclaimed ones, which are old by design), how
    /// long after its `XADD` the newest arrived (`trellis_replication_lag_seconds`, from the
    /// entry ID's milliseconds by Redis's clock against this host's).
    static func consumed(_ entries: [StreamEntry], of stream: StreamName, group: String?, isFresh: Bool = true) {
        guard let newest = entries.last else { return }
        consumed(stream, group: group).increment(by: entries.count)
        let dimensions = [("stream", stream.topic), ("group", group ?? "")]
        if let position = entries.lazy.compactMap({ $0.fields["position"].flatMap(Int64.init) }).max() {
            Gauge(label: "trellis_replication_position", dimensions: dimensions).record(position)
        }
        guard isFresh else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let lag = Double(max(0, now - Int64(newest.id.milliseconds))) / 1000
        Gauge(label: "trellis_replication_lag_seconds", dimensions: dimensions).record(lag)
    }

    static func reclaimed(_ stream: StreamName, group: String) -> Counter {
        Counter(label: "trellis_replication_reclaimed_total", dimensions: [("stream", stream.topic), ("group", group)])
    }
}
