/// A room alias: `#localpart:server_name`.
///
/// https://spec.matrix.org/v1.16/appendices/#room-aliases. The localpart may hold any
/// Unicode except `:` and NUL.
public struct RoomAlias: MatrixIdentifier {
    /// The full alias, e.g. `#matrix:example.org`.
    public let description: String
    public let serverName: ServerName

    public init(parsing string: String) throws(IdentifierError) {
        self.serverName = try IdentifierGrammar.parseServerScoped(string, sigil: "#",
                                                                  isValidLocalpart: IdentifierGrammar.isOpaque)
        self.description = string
    }

    /// The part between `#` and the first `:`.
    public var localpart: Substring { IdentifierGrammar.localpart(of: description) }
}
