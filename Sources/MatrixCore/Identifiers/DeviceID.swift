/// A device ID: an opaque, non-empty string chosen by the client or the server.
///
/// https://spec.matrix.org/v1.16/appendices/#device-ids. Trellis rejects NUL and IDs longer
/// than 255 bytes.
public struct DeviceID: MatrixIdentifier {
    public let description: String

    public init(parsing string: String) throws(IdentifierError) {
        guard !string.isEmpty else { throw .empty }
        guard string.utf8.count <= IdentifierGrammar.maximumLength else { throw .tooLong }
        guard !string.unicodeScalars.contains("\0") else { throw .invalidOpaqueID }
        description = string
    }
}
