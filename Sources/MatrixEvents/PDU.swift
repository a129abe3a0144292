import MatrixCore

/// A persistent data unit (room event) with the fields the room graph reads, parsed once.
///
/// The full JSON stays available in `json`; the typed fields are what auth rules and state
/// resolution need. Spec: https://spec.matrix.org/v1.16/server-server-api/#pdus
public struct PDU: Sendable, Hashable {
    public let eventID: EventID
    public let json: JSONObject
    /// `nil` only for the create event of room v12+ rooms, whose ID is derived from it.
    public let roomID: String?
    public let sender: UserID
    public let type: String
    /// Present exactly for state events.
    public let stateKey: String?
    public let content: JSONObject
    public let prevEventIDs: [EventID]
    public let authEventIDs: [EventID]
    public let depth: Int64
    public let originServerTimestamp: Int64

    /// Parses `json` as the event `eventID` (computed by the caller, see `EventHashing.eventID`).
    public init(eventID: EventID, json: JSONObject) throws(PDUFormatError) {
        guard let type = json["type"]?.stringValue else { throw .missingField("type") }
        guard let senderText = json["sender"]?.stringValue else { throw .missingField("sender") }
        guard let sender = UserID(senderText) else { throw .invalidField("sender") }
        guard let content = json["content"]?.objectValue else { throw .missingField("content") }
        if let stateKey = json["state_key"], stateKey.stringValue == nil { throw .invalidField("state_key") }
        self.eventID = eventID
        self.json = json
        self.roomID = json["room_id"]?.stringValue
        self.sender = sender
        self.type = type
        self.stateKey = json["state_key"]?.stringValue
        self.content = content
        self.prevEventIDs = try Self.eventReferences(json["prev_events"], field: "prev_events")
        self.authEventIDs = try Self.eventReferences(json["auth_events"], field: "auth_events")
        self.depth = json["depth"]?.integerValue ?? 0
        self.originServerTimestamp = json["origin_server_ts"]?.integerValue ?? 0
    }

    /// Parses `json`, computing its event ID as its room version defines.
    public init(json: JSONObject, rules: RoomVersionRules) throws(PDUFormatError) {
        let eventID: EventID
        do {
            eventID = try EventHashing.eventID(of: json, rules: rules)
        } catch {
            throw .invalidField("event_id")
        }
        try self.init(eventID: eventID, json: json)
    }

    /// Whether this is a state event (it has a `state_key`).
    public var isState: Bool { stateKey != nil }

    /// The `(type, state_key)` this event fills, for state events.
    public var stateSlot: StateKey? { stateKey.map { StateKey(type: type, stateKey: $0) } }

    /// `content.membership` of an `m.room.member` event, if it is a string.
    public var membership: String? { content["membership"]?.stringValue }

    /// The event an `m.room.redaction` redacts: `content.redacts` from v11 on, the top-level
    /// `redacts` before (Synapse falls back to the other place, and so does this).
    public func redacts(rules: RoomVersionRules) -> String? {
        let topLevel = json["redacts"]?.stringValue, inContent = content["redacts"]?.stringValue
        return rules.redactsInContent ? (inContent ?? topLevel) : (topLevel ?? inContent)
    }

    public static func == (lhs: PDU, rhs: PDU) -> Bool { lhs.eventID == rhs.eventID }
    public func hash(into hasher: inout Hasher) { hasher.combine(eventID) }

    /// Event IDs from `prev_events`/`auth_events`: plain IDs (v3+) or `[id, hashes]` pairs (v1, v2).
    private static func eventReferences(_ value: JSONValue?, field: String) throws(PDUFormatError) -> [EventID] {
        guard let value else { return [] }
        guard let items = value.arrayValue else { throw .invalidField(field) }
        var references: [EventID] = []
        references.reserveCapacity(items.count)
        for item in items {
            guard let text = item.stringValue ?? item.arrayValue?.first?.stringValue, let id = EventID(text) else {
                throw .invalidField(field)
            }
            references.append(id)
        }
        return references
    }
}

/// A slot of room state: an event type and a state key.
public struct StateKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let type: String
    public let stateKey: String

    public init(type: String, stateKey: String) {
        self.type = type
        self.stateKey = stateKey
    }

    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        (lhs.type, lhs.stateKey) < (rhs.type, rhs.stateKey)
    }

    public var description: String { "(\(type), \(stateKey))" }
}

/// Why JSON could not be read as a PDU.
public enum PDUFormatError: Error, Equatable, Sendable {
    case missingField(String)
    case invalidField(String)
}
