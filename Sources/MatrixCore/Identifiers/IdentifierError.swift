/// Why a string is not a valid Matrix identifier.
///
/// Grammar: https://spec.matrix.org/v1.16/appendices/#identifier-grammar
public enum IdentifierError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    /// Longer than ``MatrixIdentifier/maximumLength`` bytes.
    case tooLong
    /// The first character is not the identifier's sigil (`@`, `!`, `$`, `#`) or prefix (`mxc://`).
    case missingSigil(String)
    /// No `:server_name` part where one is required.
    case missingServerName
    case invalidLocalpart
    case invalidServerName
    case invalidPort
    /// The opaque part of a room or event ID has characters the grammar does not allow.
    case invalidOpaqueID
    case invalidMediaID

    public var description: String {
        switch self {
        case .empty: "identifier is empty"
        case .tooLong: "identifier is longer than 255 bytes"
        case .missingSigil(let sigil): "identifier must start with '\(sigil)'"
        case .missingServerName: "identifier has no server name"
        case .invalidLocalpart: "invalid localpart"
        case .invalidServerName: "invalid server name"
        case .invalidPort: "invalid port"
        case .invalidOpaqueID: "invalid opaque ID"
        case .invalidMediaID: "invalid media ID"
        }
    }
}
