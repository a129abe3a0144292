/// Behaviour shared by the validated identifier types (``UserID``, ``RoomID``, ``EventID``,
/// ``RoomAlias``, ``ServerName``, ``DeviceID``, ``MXCURI``).
///
/// Identifiers compare and hash by their exact bytes (never Unicode canonical equivalence),
/// encode as a JSON string, and decode by validating that string.
public protocol MatrixIdentifier: Hashable, Sendable, Codable, LosslessStringConvertible {
    /// Validates `string` against the identifier's grammar.
    init(parsing string: String) throws(IdentifierError)
}

extension MatrixIdentifier {
    /// The longest identifier the spec allows, in bytes of UTF-8.
    public static var maximumLength: Int { IdentifierGrammar.maximumLength }

    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            try self.init(parsing: string)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(string): \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.description.utf8.elementsEqual(rhs.description.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in description.utf8 { hasher.combine(byte) }
    }
}

/// Helpers for the sigil-prefixed identifier grammars.
enum IdentifierGrammar {
    /// The spec's limit for every identifier: 255 bytes of UTF-8.
    static let maximumLength = 255

    /// Checks the length limit and sigil, then splits `string` after the sigil at the first `:`.
    /// Returns the localpart and the parsed server name (`nil` when there is no `:`).
    ///
    /// The grammar is one of code points, and so is the splitting: by Unicode scalars, which is
    /// also several times faster than by characters (a send to a large room parses every
    /// member's user ID).
    static func splitSigiled(
        _ string: String, sigil: Unicode.Scalar
    ) throws(IdentifierError) -> (localpart: Substring, serverName: ServerName?) {
        guard !string.isEmpty else { throw .empty }
        guard string.utf8.count <= IdentifierGrammar.maximumLength else { throw .tooLong }
        let scalars = string.unicodeScalars
        guard scalars.first == sigil else { throw .missingSigil(String(sigil)) }
        let body = scalars.dropFirst()
        guard let colon = body.firstIndex(of: ":") else { return (Substring(body), nil) }
        let serverName = try ServerName(parsing: String(body[body.index(after: colon)...]))
        return (Substring(body[..<colon]), serverName)
    }

    /// Parses `sigil localpart:server_name`, where the server name is required and the localpart must be non-empty
    /// and pass `isValidLocalpart`. Returns the server name.
    static func parseServerScoped(
        _ string: String, sigil: Unicode.Scalar, isValidLocalpart: (Substring) -> Bool
    ) throws(IdentifierError) -> ServerName {
        let (localpart, serverName) = try splitSigiled(string, sigil: sigil)
        guard let serverName else { throw .missingServerName }
        guard !localpart.isEmpty, isValidLocalpart(localpart) else { throw .invalidLocalpart }
        return serverName
    }

    /// Parses a room or event ID: `sigil opaque:server_name`, or `sigil` followed by the unpadded Base64 of a
    /// reference hash and no server name (`urlSafeOnly` restricts it to the URL-safe alphabet). Returns the server
    /// name, `nil` for the hash form.
    static func parseOpaqueOrHash(
        _ string: String, sigil: Unicode.Scalar, urlSafeOnly: Bool
    ) throws(IdentifierError) -> ServerName? {
        let (opaque, serverName) = try splitSigiled(string, sigil: sigil)
        let valid = serverName == nil ? isBase64(opaque, urlSafeOnly: urlSafeOnly) : isOpaque(opaque)
        guard valid else { throw .invalidOpaqueID }
        return serverName
    }

    /// The part of a sigiled identifier between the sigil and the first `:` (everything after the sigil when there
    /// is no `:`).
    static func localpart(of identifier: String) -> Substring {
        Substring(identifier.unicodeScalars.dropFirst().prefix { $0 != ":" })
    }

    /// Whether every scalar is allowed in an opaque localpart: anything but `:` and NUL.
    static func isOpaque(_ text: Substring) -> Bool {
        !text.isEmpty && !text.unicodeScalars.contains { $0 == ":" || $0 == "\0" }
    }

    /// Whether `text` is non-empty unpadded Base64 in either alphabet (`urlSafeOnly` restricts it
    /// to the URL-safe one).
    static func isBase64(_ text: Substring, urlSafeOnly: Bool = false) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            case UInt8(ascii: "+"), UInt8(ascii: "/"): !urlSafeOnly
            default: false
            }
        }
    }
}
