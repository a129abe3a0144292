/// A content URI: `mxc://server_name/media_id`.
///
/// https://spec.matrix.org/v1.16/client-server-api/#matrix-content-mxc-uris. The media ID
/// is `[A-Za-z0-9_-]+`.
public struct MXCURI: MatrixIdentifier {
    /// The full URI, e.g. `mxc://example.org/SEsfnsuifSDFSSEF`.
    public let description: String
    public let serverName: ServerName
    public let mediaID: Substring

    private static let scheme = "mxc://"

    public init(parsing string: String) throws(IdentifierError) {
        guard !string.isEmpty else { throw .empty }
        guard string.utf8.count <= IdentifierGrammar.maximumLength else { throw .tooLong }
        guard string.hasPrefix(Self.scheme) else { throw .missingSigil(Self.scheme) }
        let rest = string.dropFirst(Self.scheme.count)
        guard let slash = rest.firstIndex(of: "/") else { throw .invalidMediaID }
        serverName = try ServerName(parsing: String(rest[..<slash]))
        mediaID = rest[rest.index(after: slash)...]
        guard !mediaID.isEmpty, mediaID.unicodeScalars.allSatisfy({ scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
        }) else { throw .invalidMediaID }
        description = string
    }

    /// Builds `mxc://serverName/mediaID`, validating the media ID.
    public init(serverName: ServerName, mediaID: String) throws(IdentifierError) {
        try self.init(parsing: "\(Self.scheme)\(serverName)/\(mediaID)")
    }
}
