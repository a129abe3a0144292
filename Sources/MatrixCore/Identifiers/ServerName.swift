/// A homeserver name: `hostname [ ":" port ]`, where the hostname is a DNS name, an IPv4
/// literal or a bracketed IPv6 literal.
///
/// https://spec.matrix.org/v1.16/appendices/#server-name
public struct ServerName: MatrixIdentifier {
    /// The server name as written, e.g. `matrix.org:8448`.
    public let description: String
    /// The host part, including brackets for IPv6 literals (`[::1]`).
    public let host: Substring
    /// The explicit port, if any.
    public let port: UInt16?

    public init(parsing string: String) throws(IdentifierError) {
        guard !string.isEmpty else { throw .empty }
        guard string.utf8.count <= IdentifierGrammar.maximumLength else { throw .tooLong }
        let hostEnd: String.Index
        if string.hasPrefix("[") {
            guard let close = string.firstIndex(of: "]") else { throw .invalidServerName }
            let literal = string[string.index(after: string.startIndex)..<close]
            guard (2...45).contains(literal.utf8.count),
                  literal.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." })
            else { throw .invalidServerName }
            hostEnd = string.index(after: close)
        } else {
            hostEnd = string.firstIndex(of: ":") ?? string.endIndex
            let name = string[..<hostEnd]
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ Self.isDNSCharacter($0) }) else {
                throw .invalidServerName
            }
        }
        if hostEnd == string.endIndex {
            port = nil
        } else {
            guard string[hostEnd] == ":" else { throw .invalidServerName }
            let digits = string[string.index(after: hostEnd)...]
            guard (1...5).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let value = UInt16(digits)
            else { throw .invalidPort }
            port = value
        }
        host = string[..<hostEnd]
        description = string
    }

    private static func isDNSCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == ".")
    }
}
