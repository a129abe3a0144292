/// An event ID.
///
/// https://spec.matrix.org/v1.16/appendices/#event-ids
/// - Room versions 1 and 2: `$opaque:server_name`.
/// - Room version 3: `$` + standard unpadded Base64 of the reference hash.
/// - Room version 4 and later: `$` + URL-safe unpadded Base64 of the reference hash.
public struct EventID: MatrixIdentifier {
    /// The full ID, e.g. `$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg`.
    public let description: String
    /// The server of a v1/v2 style event ID; `nil` for hash-based IDs.
    public let serverName: ServerName?

    public init(parsing string: String) throws(IdentifierError) {
        self.serverName = try IdentifierGrammar.parseOpaqueOrHash(string, sigil: "$", urlSafeOnly: false)
        self.description = string
    }

    /// The part after `$` and before any `:` (the encoded reference hash for v3+ IDs).
    public var opaqueID: Substring { IdentifierGrammar.localpart(of: description) }
}
