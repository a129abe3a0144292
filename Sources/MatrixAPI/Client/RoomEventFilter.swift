import MatrixCore

/// A `RoomEventFilter`: which room events `/messages` and `/context` return, and whether the
/// member events of their senders come with them (lazy-loading members).
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#filtering
public struct RoomEventFilter: Sendable, Equatable {
    public var limit: Int?
    /// Event type patterns (`*` is a wildcard); `nil` allows every type.
    public var types: [String]?
    public var notTypes: [String]
    public var senders: [String]?
    public var notSenders: [String]
    public var lazyLoadMembers: Bool
    public var includeRedundantMembers: Bool

    public init() {
        types = nil
        notTypes = []
        senders = nil
        notSenders = []
        lazyLoadMembers = false
        includeRedundantMembers = false
    }

    /// Reads a filter object; wrong types are `M_BAD_JSON`, a negative limit `M_INVALID_PARAM`.
    public init(json: JSONObject) throws(MatrixError) {
        self.init()
        if let limit = try json.integer("limit") {
            guard limit >= 0 else { throw MatrixError(.invalidParam, "Filter limit must not be negative") }
            self.limit = Int(clamping: limit)
        }
        types = try json.stringArray("types")
        notTypes = try json.stringArray("not_types") ?? []
        senders = try json.stringArray("senders")
        notSenders = try json.stringArray("not_senders") ?? []
        lazyLoadMembers = try json.bool("lazy_load_members") ?? false
        includeRedundantMembers = try json.bool("include_redundant_members") ?? false
    }

    /// Whether an event of `type` sent by `sender` passes the filter's types and senders
    /// (`*` in a type pattern matches any run of characters). Events without a sender (typing,
    /// receipts, account data) pass `nil` and are checked by type only.
    public func allows(type: String, sender: String? = nil) -> Bool {
        func matches(_ pattern: String) -> Bool { PushRuleEvaluator.glob(pattern, matches: type) }
        guard (types?.contains(where: matches) ?? true) && !notTypes.contains(where: matches) else { return false }
        guard let sender else { return true }
        return (senders?.contains(sender) ?? true) && !notSenders.contains(sender)
    }

    /// Whether the filter lets no event through by type (`types: []` or `not_types: ["*"]`).
    public var excludesEverything: Bool {
        types == [] || notTypes.contains("*")
    }

    /// Parses the `filter` query parameter: a JSON-encoded filter object (`M_NOT_JSON` otherwise).
    public init(queryParameter text: String) throws(MatrixError) {
        guard let value = try? JSONValue(parsing: Array(text.utf8)) else {
            throw MatrixError(.notJSON, "filter is not JSON")
        }
        guard let object = value.objectValue else { throw MatrixError(.badJSON, "filter must be a JSON object") }
        try self.init(json: object)
    }
}
