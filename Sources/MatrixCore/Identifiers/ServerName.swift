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
        // Split by Unicode scalars: the grammar is one of code points.
        let scalars = string.unicodeScalars
        let hostEnd: String.Index
        if scalars.first == "[" {
            guard let close = scalars.firstIndex(of: "]") else { throw .invalidServerName }
            let literal = scalars[scalars.index(after: scalars.startIndex)..<close]
            guard (2...45).contains(literal.count),
                  literal.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." })
            else { throw .invalidServerName }
            hostEnd = scalars.index(after: close)
        } else {
            hostEnd = scalars.firstIndex(of: ":") ?? scalars.endIndex
            let name = scalars[..<hostEnd]
            guard !name.isEmpty, name.allSatisfy(Self.isDNSCharacter) else { throw .invalidServerName }
        }
        if hostEnd == scalars.endIndex {
            port = nil
        } else {
            guard scalars[hostEnd] == ":" else { throw .invalidServerName }
            let digits = scalars[scalars.index(after: hostEnd)...]
            guard (1...5).contains(digits.count), digits.allSatisfy({ ("0"..."9").contains($0) }),
                  let value = UInt16(String(digits))
            else { throw .invalidPort }
            port = value
        }
        host = Substring(scalars[..<hostEnd])
        description = string
    }

    /// An ASCII letter or digit, `-` or `.`.
    private static func isDNSCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "-" || scalar == "."
    }
}
