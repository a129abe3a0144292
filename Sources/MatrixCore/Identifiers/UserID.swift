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
        self.serverName = try IdentifierGrammar.parseServerScoped(string, sigil: "@") { localpart in
            localpart.unicodeScalars.allSatisfy(Self.isHistoricalCharacter)
        }
        self.description = string
    }

    /// Builds `@localpart:serverName`, validating the result.
    public init(localpart: String, serverName: ServerName) throws(IdentifierError) {
        try self.init(parsing: "@\(localpart):\(serverName)")
    }

    /// The part between `@` and the first `:`.
    public var localpart: Substring { IdentifierGrammar.localpart(of: description) }

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
