import Foundation
import MatrixCore
import MatrixEvents
import Storage

extension PersistedEvent {
    /// The event in the client-server format: the PDU's client-visible fields plus `unsigned.age`,
    /// and `unsigned.redacted_because` when `redaction` (the event that redacted it) is given.
    ///
    /// https://spec.matrix.org/v1.16/client-server-api/#room-event-format. `redacts` is copied to
    /// the top level from the content (v11+) so older clients find it where they look.
    public func clientEvent(
        redaction: PersistedEvent? = nil, now: Int64 = unixMilliseconds()
    ) throws -> JSONObject {
        // Only the content and unsigned data are read from the stored JSON; parsing it as a full
        // PDU (prev and auth event IDs) would cost more than the rest of a /messages page.
        guard let pdu = try JSONValue(parsing: Array(json.utf8)).objectValue else {
            throw StoredEventCorrupt(eventID: eventID)
        }
        let content = pdu["content"]?.objectValue ?? [:]
        var event: JSONObject = [
            "event_id": .string(eventID),
            "room_id": .string(roomID),
            "sender": .string(sender),
            "type": .string(type),
            "origin_server_ts": .integer(originServerTimestamp),
            "content": .object(content),
        ]
        if let stateKey { event["state_key"] = .string(stateKey) }
        if type == EventType.redaction, let redacts = pdu["redacts"] ?? content["redacts"] { event["redacts"] = redacts }
        var unsigned = pdu["unsigned"]?.objectValue ?? [:]
        unsigned["age"] = .integer(max(0, now - receivedTimestamp))
        if let redaction { unsigned["redacted_because"] = .object(try redaction.clientEvent(now: now)) }
        event["unsigned"] = .object(unsigned)
        return event
    }
}

extension PersistedEvent {
    /// ``clientEvent(redaction:now:)`` as JSON text, for responses that serve many events.
    ///
    /// An event without stored `unsigned` data, `redacts` or a redaction to embed (nearly every
    /// message) is written straight from its columns with its stored `content` copied as text
    /// (``JSONMemberScanner``), which is several times cheaper than parsing and encoding it. The
    /// others go through ``clientEvent(redaction:now:)``; both give the same JSON.
    public func clientEventJSON(redaction: PersistedEvent? = nil, now: Int64 = unixMilliseconds()) throws -> String {
        let members = redaction == nil ? try JSONMemberScanner.members(Self.copiedMembers, of: json) : [:]
        guard redaction == nil, let content = members["content"], members["unsigned"] == nil,
              members["redacts"] == nil, type != EventType.redaction
        else {
            return try clientEvent(redaction: redaction, now: now).jsonString()
        }
        var text = "{\"content\":"
        text += content
        text += ",\"event_id\":" + JSONValue.jsonText(ofString: eventID)
        text += ",\"origin_server_ts\":" + String(originServerTimestamp)
        text += ",\"room_id\":" + JSONValue.jsonText(ofString: roomID)
        text += ",\"sender\":" + JSONValue.jsonText(ofString: sender)
        if let stateKey { text += ",\"state_key\":" + JSONValue.jsonText(ofString: stateKey) }
        text += ",\"type\":" + JSONValue.jsonText(ofString: type)
        text += ",\"unsigned\":{\"age\":" + String(max(0, now - receivedTimestamp)) + "}}"
        return text
    }

    /// The stored PDU's members that decide whether ``clientEventJSON(redaction:now:)`` can copy.
    private static let copiedMembers: Set<String> = ["content", "redacts", "unsigned"]
}
