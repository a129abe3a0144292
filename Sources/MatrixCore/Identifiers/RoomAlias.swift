/// A room alias: `#localpart:server_name`.
///
/// https://spec.matrix.org/v1.16/appendices/#room-aliases. The localpart may hold any
/// Unicode except `:` and NUL.
public struct RoomAlias: MatrixIdentifier {
    /// The full alias, e.g. `#matrix:example.org`.
    public let description: String
    public let serverName: ServerName

    public init(parsing string: String) throws(IdentifierError) {
        let (localpart, serverName) = try IdentifierGrammar.splitSigiled(string, sigil: "#")
        guard let serverName else { throw .missingServerName }
        guard IdentifierGrammar.isOpaque(localpart) else { throw .invalidLocalpart }
        self.description = string
        self.serverName = serverName
    }

    /// The part between `#` and the first `:`.
    public var localpart: Substring {
        description.dropFirst().prefix { $0 != ":" }
    }
}
