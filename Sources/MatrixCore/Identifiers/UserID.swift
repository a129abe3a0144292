/// A user ID: `@localpart:server_name`.
///
/// https://spec.matrix.org/v1.16/appendices/#user-identifiers
///
/// Parsing accepts historical localparts (any printable ASCII except `:`), as the spec
/// requires of servers; use ``isValidNewLocalpart(_:)`` before registering a new user.
public struct UserID: MatrixIdentifier {
    /// The full ID, e.g. `@alice:example.org`.
    public let description: String
    public let serverName: ServerName

    public init(parsing string: String) throws(IdentifierError) {
        let (localpart, serverName) = try IdentifierGrammar.splitSigiled(string, sigil: "@")
        guard let serverName else { throw .missingServerName }
        guard !localpart.isEmpty, localpart.unicodeScalars.allSatisfy(Self.isHistoricalCharacter) else {
            throw .invalidLocalpart
        }
        self.description = string
        self.serverName = serverName
    }

    /// Builds `@localpart:serverName`, validating the result.
    public init(localpart: String, serverName: ServerName) throws(IdentifierError) {
        try self.init(parsing: "@\(localpart):\(serverName)")
    }

    /// The part between `@` and the first `:`.
    public var localpart: Substring {
        let body = description.dropFirst()
        return body.prefix { $0 != ":" }
    }

    /// Whether `localpart` meets the current grammar for newly registered users:
    /// `a-z`, `0-9`, `.`, `_`, `=`, `-`, `/` and `+`, non-empty.
    public static func isValidNewLocalpart(_ localpart: some StringProtocol) -> Bool {
        !localpart.isEmpty && localpart.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "._=-/+".unicodeScalars.contains(scalar)
        }
    }

    /// `extended_user_id_char`: %x21-39 / %x3B-7E.
    private static func isHistoricalCharacter(_ scalar: Unicode.Scalar) -> Bool {
        (0x21...0x7E).contains(scalar.value) && scalar != ":"
    }
}
