import Metrics

/// Names of the metrics this module reports (swift-metrics; the process picks the backend).
enum ReplicationMetrics {
    static func published(_ stream: StreamName) -> Counter {
        Counter(label: "trellis_replication_published_total", dimensions: [("stream", stream.key)])
    }

    static func consumed(_ stream: StreamName, group: String?) -> Counter {
        Counter(label: "trellis_replication_consumed_total",
                dimensions: [("stream", stream.key), ("group", group ?? "")])
    }

    static func acknowledged(_ stream: StreamName, group: String) -> Counter {
        Counter(label: "trellis_replication_acknowledged_total", dimensions: [("stream", stream.key), ("group", group)])
    }

    static func reclaimed(_ stream: StreamName, group: String) -> Counter {
        Counter(label: "trellis_replication_reclaimed_total", dimensions: [("stream", stream.key), ("group", group)])
    }
}
