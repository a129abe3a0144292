import MatrixCore
import MatrixCrypto

/// A reference from one event to another in `prev_events` or `auth_events`.
///
/// Room versions 1 and 2 reference events as `[event_id, {"sha256": reference hash}]`; later
/// versions by bare event ID, so the hash is only needed there.
public struct EventReference: Sendable, Equatable {
    public var eventID: EventID
    /// The referenced event's reference hash; required in room versions with explicit event IDs.
    public var referenceHash: [UInt8]?

    public init(eventID: EventID, referenceHash: [UInt8]? = nil) {
        self.eventID = eventID
        self.referenceHash = referenceHash
    }

    /// The reference to a stored PDU, with its reference hash where `rules` needs one.
    public init(to pdu: PDU, rules: RoomVersionRules) throws(CanonicalJSONError) {
        eventID = pdu.eventID
        referenceHash = rules.eventIDFormat == .explicit ? try EventHashing.referenceHash(of: pdu.json, rules: rules) : nil
    }
}

/// What a new event says, before the server places it in the room DAG.
public struct EventDraft: Sendable, Equatable {
    public var type: String
    /// Present exactly for state events.
    public var stateKey: String?
    public var sender: UserID
    public var content: JSONObject
    /// The event a redaction redacts.
    public var redacts: EventID?

    public init(type: String, stateKey: String? = nil, sender: UserID, content: JSONObject, redacts: EventID? = nil) {
        self.type = type
        self.stateKey = stateKey
        self.sender = sender
        self.content = content
        self.redacts = redacts
    }
}

/// Assembles, hashes and signs the PDU of a locally created event.
///
/// https://spec.matrix.org/v1.16/server-server-api/#pdus. The caller chooses the DAG position
/// (prev events, auth events, depth); this type only writes the fields each room version wants:
/// no `room_id` on a v12+ create event (the room ID is derived from it), an explicit random
/// `event_id` in v1 and v2, `[id, hashes]` references in v1 and v2, `redacts` in the content
/// from v11 and at the top level before.
public struct EventBuilder: Sendable {
    public let rules: RoomVersionRules
    public let serverName: String
    public let signingKey: ServerSigningKey

    public init(rules: RoomVersionRules, serverName: String, signingKey: ServerSigningKey) {
        self.rules = rules
        self.serverName = serverName
        self.signingKey = signingKey
    }

    /// The signed PDU of `draft`, parsed. `roomID` is ignored for a v12+ create event.
    public func build(
        _ draft: EventDraft, roomID: RoomID?, prevEvents: [EventReference], authEvents: [EventReference],
        depth: Int64, originServerTimestamp: Int64
    ) throws(EventBuildError) -> PDU {
        var json: JSONObject = [
            "type": .string(draft.type),
            "sender": .string(draft.sender.description),
            "content": .object(draft.content),
            "prev_events": .array(prevEvents.map(reference)),
            "auth_events": .array(authEvents.map(reference)),
            "depth": .integer(depth),
            "origin_server_ts": .integer(originServerTimestamp),
        ]
        if let stateKey = draft.stateKey { json["state_key"] = .string(stateKey) }
        let isV12Create = draft.type == EventType.create && rules.roomIDFromCreateEvent
        if !isV12Create {
            guard let roomID else { throw .missingRoomID }
            json["room_id"] = .string(roomID.description)
        }
        if let redacts = draft.redacts {
            if rules.redactsInContent {
                var content = draft.content
                content["redacts"] = .string(redacts.description)
                json["content"] = .object(content)
            } else {
                json["redacts"] = .string(redacts.description)
            }
        }
        if rules.eventIDFormat == .explicit {
            json["event_id"] = .string("$\(SecureToken.alphanumeric(18)):\(serverName)")
        }
        let signed: JSONObject
        do {
            signed = try EventHashing.hashAndSign(json, rules: rules, serverName: serverName, key: signingKey)
        } catch {
            throw .notCanonicalJSON(error)
        }
        do {
            return try PDU(json: signed, rules: rules)
        } catch {
            throw .invalidEvent(error)
        }
    }

    private func reference(_ reference: EventReference) -> JSONValue {
        guard rules.eventIDFormat == .explicit else { return .string(reference.eventID.description) }
        let hash = reference.referenceHash.map { JSONValue.string(Base64.encodeUnpadded($0)) } ?? .string("")
        return .array([.string(reference.eventID.description), .object(["sha256": hash])])
    }
}

/// Why a new event could not be built.
public enum EventBuildError: Error, Equatable, Sendable {
    /// Every event but a v12+ create event needs a room ID.
    case missingRoomID
    /// The content holds a value canonical JSON cannot encode (e.g. a float).
    case notCanonicalJSON(CanonicalJSONError)
    case invalidEvent(PDUFormatError)
}
