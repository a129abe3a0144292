/// An account data type that has its own endpoint and cannot be set through `/account_data`.
///
/// Synapse answers these with `405 M_BAD_JSON`; the HTTP layer does the same.
public struct ReservedAccountDataType: Error, Sendable, Equatable, CustomStringConvertible {
    public let type: String
    /// The endpoint to use instead.
    public let endpoint: String

    /// The reserved types, by the endpoint that sets each.
    static let endpoints = [
        "m.fully_read": "/rooms/{roomId}/read_markers",
        "m.push_rules": "/pushrules",
    ]

    /// Throws when `type` is reserved.
    static func check(_ type: String) throws(ReservedAccountDataType) {
        if let endpoint = endpoints[type] { throw ReservedAccountDataType(type: type, endpoint: endpoint) }
    }

    public var description: String { "Cannot set \(type) through this API. Use \(endpoint)" }
}
