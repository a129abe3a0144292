/// A room ID.
///
/// Two forms exist (https://spec.matrix.org/v1.16/appendices/#room-ids):
/// - `!opaque:server_name`, for rooms of versions 1 to 11;
/// - `!<reference hash>` (URL-safe unpadded Base64 of the create event's reference hash, no
///   server name), for room version 12 and later.
public struct RoomID: MatrixIdentifier {
    /// The full ID, e.g. `!abc:example.org`.
    public let description: String
    /// The server that created the room; `nil` for room v12 style IDs.
    public let serverName: ServerName?

    public init(parsing string: String) throws(IdentifierError) {
        self.serverName = try IdentifierGrammar.parseOpaqueOrHash(string, sigil: "!", urlSafeOnly: true)
        self.description = string
    }

    /// The part after `!` and before any `:`.
    public var opaqueID: Substring { IdentifierGrammar.localpart(of: description) }
}
