import MatrixCore

/// Why a signed JSON object did not verify.
public enum SignatureVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `signatures[serverName][keyID]` entry.
    case missingSignature(serverName: String, keyID: String)
    /// The signature is not a string of unpadded Base64.
    case malformedSignature(serverName: String, keyID: String)
    /// The signature does not match the object and public key.
    case invalidSignature(serverName: String, keyID: String)
    /// The object cannot be encoded as canonical JSON (NaN or infinity).
    case notCanonicalJSON(CanonicalJSONError)

    public var description: String {
        switch self {
        case .missingSignature(let server, let keyID): "Missing signature for \(server), \(keyID)"
        case .malformedSignature(let server, let keyID): "Invalid signature encoding for \(server), \(keyID)"
        case .invalidSignature(let server, _): "Unable to verify signature for \(server)"
        case .notCanonicalJSON(let error): "Cannot encode as canonical JSON: \(error)"
        }
    }
}
