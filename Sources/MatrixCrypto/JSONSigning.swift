import MatrixCore

/// Signing JSON objects: https://spec.matrix.org/v1.16/appendices/#signing-json
///
/// The signed bytes are the canonical JSON of the object without `signatures` and `unsigned`.
/// Like Synapse's `signedjson`, the encoding is the lenient one (floats are encoded, not
/// rejected), so objects from room versions 1 to 5 still verify; checking that event JSON is
/// strictly canonical is the event validator's job.
public enum JSONSigning {
    /// Returns `object` with `signatures[serverName][keyID]` set to the signature by `key`.
    /// Existing signatures (other servers and other keys) and `unsigned` are kept.
    public static func sign(
        _ object: JSONObject, serverName: String, keyID: String, key: Ed25519SigningKey
    ) throws(CanonicalJSONError) -> JSONObject {
        let signature = key.sign(try signingBytes(of: object))
        var signatures = object["signatures"]?.objectValue ?? [:]
        var serverSignatures = signatures[serverName]?.objectValue ?? [:]
        serverSignatures[keyID] = .string(Base64.encodeUnpadded(signature))
        signatures[serverName] = .object(serverSignatures)
        var signed = object
        signed["signatures"] = .object(signatures)
        return signed
    }

    /// Checks `signatures[serverName][keyID]` of `object` against `publicKey`.
    public static func verify(
        _ object: JSONObject, serverName: String, keyID: String, publicKey: [UInt8]
    ) throws(SignatureVerificationError) {
        guard let entry = object["signatures"]?[serverName]?[keyID] else {
            throw .missingSignature(serverName: serverName, keyID: keyID)
        }
        guard let encoded = entry.stringValue, let signature = Base64.decode(encoded) else {
            throw .malformedSignature(serverName: serverName, keyID: keyID)
        }
        let message: [UInt8]
        do {
            message = try signingBytes(of: object)
        } catch {
            throw .notCanonicalJSON(error)
        }
        guard Ed25519.verify(signature: signature, message: message, publicKey: publicKey) else {
            throw .invalidSignature(serverName: serverName, keyID: keyID)
        }
    }

    /// The bytes that are signed: canonical JSON without `signatures` and `unsigned`.
    public static func signingBytes(of object: JSONObject) throws(CanonicalJSONError) -> [UInt8] {
        var stripped = object
        stripped.removeValue(forKey: "signatures")
        stripped.removeValue(forKey: "unsigned")
        return try stripped.canonicalJSONBytes(strict: false)
    }
}
