/// A replication stream: one Redis stream per topic, keyed `trellis:stream:<topic>`.
public struct StreamName: Hashable, Sendable, CustomStringConvertible {
    /// The topic, e.g. `events`: the `stream` label of the replication metrics.
    public let topic: String
    /// The Redis key.
    public let key: String

    public init(topic: String) {
        self.topic = topic
        self.key = "trellis:stream:\(topic)"
    }

    public static let events = StreamName(topic: "events")
    public static let receipts = StreamName(topic: "receipts")
    public static let typing = StreamName(topic: "typing")
    public static let toDevice = StreamName(topic: "to_device")
    public static let deviceLists = StreamName(topic: "device_lists")
    public static let accountData = StreamName(topic: "account_data")
    public static let presence = StreamName(topic: "presence")
    public static let federationOut = StreamName(topic: "federation_out")
    public static let push = StreamName(topic: "push")

    public var description: String { key }
}

/// The id Redis gives a stream entry, `<milliseconds>-<sequence>`.
public struct StreamEntryID: Comparable, Hashable, Sendable, LosslessStringConvertible, Codable {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// `0-0`: before every entry.
    public static let zero = StreamEntryID(milliseconds: 0, sequence: 0)

    /// Parses `ms-seq`.
    public init?(_ description: String) {
        let parts = description.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1]) else {
            return nil
        }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (lhs: StreamEntryID, rhs: StreamEntryID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = StreamEntryID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a stream entry id: \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One entry of a stream.
public struct StreamEntry: Sendable, Hashable {
    public var id: StreamEntryID
    public var fields: [String: String]

    public init(id: StreamEntryID, fields: [String: String]) {
        self.id = id
        self.fields = fields
    }
}

// MARK: Reply parsing

/// An entry as a stream command returns it: `fields` is nil when the entry was deleted (trimmed) but its id is
/// still in a consumer group's pending list.
struct RawStreamEntry {
    var id: StreamEntryID
    var fields: [String: String]?
}

enum StreamReply {
    /// Parses `[[id, [field, value, …]], …]` (XRANGE and one stream of XREAD/XREADGROUP).
    static func entries(_ value: RedisValue) throws -> [RawStreamEntry] {
        if value.isNull { return [] }
        guard let items = value.array else { throw unexpected(value) }
        return try items.map { item in
            guard let pair = item.array, pair.count == 2, let text = pair[0].string, let id = StreamEntryID(text) else {
                throw unexpected(item)
            }
            if pair[1].isNull { return RawStreamEntry(id: id, fields: nil) }
            guard let flat = pair[1].array, flat.count % 2 == 0 else { throw unexpected(item) }
            var fields: [String: String] = [:]
            fields.reserveCapacity(flat.count / 2)
            var index = 0
            while index < flat.count {
                guard let name = flat[index].string, let value = flat[index + 1].string else { throw unexpected(item) }
                fields[name] = value
                index += 2
            }
            return RawStreamEntry(id: id, fields: fields)
        }
    }

    /// Parses the XREAD/XREADGROUP reply for a single stream: nil (timeout) or `[[key, entries]]`.
    static func readReply(_ value: RedisValue) throws -> [RawStreamEntry] {
        if value.isNull { return [] }
        guard let streams = value.array else { throw unexpected(value) }
        var result: [RawStreamEntry] = []
        for stream in streams {
            guard let pair = stream.array, pair.count == 2 else { throw unexpected(stream) }
            result += try entries(pair[1])
        }
        return result
    }

    static func unexpected(_ value: RedisValue) -> RedisError {
        RedisError(.unexpectedReply, "unexpected stream reply: \(String(describing: value).prefix(200))")
    }
}
