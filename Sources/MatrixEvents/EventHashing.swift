import MatrixCore
import MatrixCrypto

/// Content hashes, reference hashes, event IDs and event signing.
///
/// - https://spec.matrix.org/v1.16/server-server-api/#calculating-the-content-hash-for-an-event
/// - https://spec.matrix.org/v1.16/server-server-api/#calculating-the-reference-hash-for-an-event
/// - https://spec.matrix.org/v1.16/server-server-api/#signing-events
///
/// Hashes use the lenient canonical encoding, as Synapse does, so events of room versions 1 to
/// 5 that contain floats still hash as their senders hashed them.
public enum EventHashing {
    /// SHA-256 of the canonical JSON of `pdu` without `unsigned`, `signatures` and `hashes`
    /// (and Synapse's internal `age_ts`, `outlier`, `destinations`).
    public static func contentHash(of pdu: JSONObject) throws(CanonicalJSONError) -> [UInt8] {
        var stripped = pdu
        for key in ["unsigned", "signatures", "hashes", "age_ts", "outlier", "destinations"] {
            stripped.removeValue(forKey: key)
        }
        return SHA256.hash(try stripped.canonicalJSONBytes(strict: false))
    }

    /// SHA-256 of the canonical JSON of the redacted `pdu` without `signatures` and `unsigned`.
    public static func referenceHash(of pdu: JSONObject, rules: RoomVersionRules) throws(CanonicalJSONError) -> [UInt8] {
        var stripped = redacted(pdu, rules: rules)
        for key in ["signatures", "unsigned", "age_ts"] { stripped.removeValue(forKey: key) }
        return SHA256.hash(try stripped.canonicalJSONBytes(strict: false))
    }

    /// The event's ID: its `event_id` field in versions 1 and 2, otherwise `$` + its reference
    /// hash in the version's Base64 alphabet.
    public static func eventID(of pdu: JSONObject, rules: RoomVersionRules) throws(EventHashingError) -> EventID {
        let text: String
        switch rules.eventIDFormat {
        case .explicit:
            guard let field = pdu["event_id"]?.stringValue else { throw .missingEventID }
            text = field
        case .base64, .urlSafeBase64:
            let hash = try wrapping { () throws(CanonicalJSONError) in try referenceHash(of: pdu, rules: rules) }
            text = "$" + Base64.encodeUnpadded(hash, urlSafe: rules.eventIDFormat == .urlSafeBase64)
        }
        do {
            return try EventID(parsing: text)
        } catch {
            throw .invalidEventID(error)
        }
    }

    /// The room ID that a room v12+ create event defines: `!` + its URL-safe reference hash.
    public static func roomID(ofCreateEvent pdu: JSONObject, rules: RoomVersionRules) throws(EventHashingError) -> RoomID {
        let hash = try wrapping { () throws(CanonicalJSONError) in try referenceHash(of: pdu, rules: rules) }
        // URL-safe Base64 always satisfies the room ID grammar.
        return try! RoomID(parsing: "!" + Base64.encodeUnpadded(hash, urlSafe: true))
    }

    /// Adds `hashes.sha256` (other hash algorithms are kept) and then this server's signature of
    /// the redacted event, as Synapse's `add_hashes_and_signatures` does. Other signatures and
    /// `unsigned` are kept.
    public static func hashAndSign(
        _ pdu: JSONObject, rules: RoomVersionRules, serverName: String, keyID: String, key: Ed25519SigningKey
    ) throws(CanonicalJSONError) -> JSONObject {
        var event = pdu
        var hashes = event["hashes"]?.objectValue ?? [:]
        hashes["sha256"] = .string(Base64.encodeUnpadded(try contentHash(of: event)))
        event["hashes"] = .object(hashes)

        var toSign = redacted(event, rules: rules)
        toSign.removeValue(forKey: "unsigned")
        toSign.removeValue(forKey: "age_ts")
        let signed = try JSONSigning.sign(toSign, serverName: serverName, keyID: keyID, key: key)
        event["signatures"] = signed["signatures"]
        return event
    }

    /// ``hashAndSign(_:rules:serverName:keyID:key:)`` with a server's signing key.
    public static func hashAndSign(
        _ pdu: JSONObject, rules: RoomVersionRules, serverName: String, key: ServerSigningKey
    ) throws(CanonicalJSONError) -> JSONObject {
        try hashAndSign(pdu, rules: rules, serverName: serverName, keyID: key.keyID, key: key.key)
    }

    /// Checks `hashes.sha256` against the content hash of `pdu`.
    public static func hasValidContentHash(_ pdu: JSONObject) -> Bool {
        guard let expected = pdu["hashes"]?["sha256"]?.stringValue.flatMap(Base64.decode),
              let actual = try? contentHash(of: pdu)
        else { return false }
        return expected == actual
    }

    private static func wrapping<T>(_ body: () throws(CanonicalJSONError) -> T) throws(EventHashingError) -> T {
        do {
            return try body()
        } catch {
            throw .notCanonicalJSON(error)
        }
    }
}

/// Why an event ID could not be computed.
public enum EventHashingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A room v1/v2 event without an `event_id` string.
    case missingEventID
    /// The `event_id` of a room v1/v2 event is not a valid event ID.
    case invalidEventID(IdentifierError)
    /// The event contains NaN or infinity and cannot be hashed.
    case notCanonicalJSON(CanonicalJSONError)

    public var description: String {
        switch self {
        case .missingEventID: "event has no event_id"
        case .invalidEventID(let error): "invalid event_id: \(error)"
        case .notCanonicalJSON(let error): "event is not encodable as canonical JSON: \(error)"
        }
    }
}
