import Foundation
import MatrixCore
import MatrixEvents
import Storage

/// What a client event's `unsigned` data holds besides `age`, read from other rows than the event's.
public struct ClientEventLinks: Sendable {
    /// The redaction that took effect on the event: `redacted_because`.
    public var redaction: PersistedEvent?
    /// The state event the event replaced: `replaces_state`, and its `content` and `sender` as
    /// `prev_content` and `prev_sender`.
    public var replaced: PersistedEvent?
    /// The client's transaction ID, for the device that sent the event: `transaction_id`.
    public var transactionID: String?

    public init(redaction: PersistedEvent? = nil, replaced: PersistedEvent? = nil, transactionID: String? = nil) {
        self.redaction = redaction
        self.replaced = replaced
        self.transactionID = transactionID
    }
}

extension PersistedEvent {
    /// The event in the client-server format: the PDU's client-visible fields plus `unsigned.age`
    /// and what `links` adds to `unsigned`.
    ///
    /// https://spec.matrix.org/v1.16/client-server-api/#room-event-format. `redacts` is copied to
    /// the top level from the content (v11+) so older clients find it where they look.
    public func clientEvent(links: ClientEventLinks = ClientEventLinks(), now: Int64 = unixMilliseconds()) throws
        -> JSONObject {
        // Only the content and unsigned data are read from the stored JSON; parsing it as a full
        // PDU (prev and auth event IDs) would cost more than the rest of a /messages page.
        let pdu = try storedObject()
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
        if let redaction = links.redaction { unsigned["redacted_because"] = .object(try redaction.clientEvent(now: now)) }
        if let replaced = links.replaced {
            unsigned["replaces_state"] = .string(replaced.eventID)
            unsigned["prev_content"] = .object(try replaced.storedObject()["content"]?.objectValue ?? [:])
            unsigned["prev_sender"] = .string(replaced.sender)
        }
        if let transactionID = links.transactionID { unsigned["transaction_id"] = .string(transactionID) }
        event["unsigned"] = .object(unsigned)
        return event
    }

    /// The stored JSON, parsed.
    private func storedObject() throws -> JSONObject {
        guard let object = try JSONValue(parsing: Array(json.utf8)).objectValue else {
            throw StoredEventCorrupt(eventID: eventID)
        }
        return object
    }
}

extension PersistedEvent {
    /// ``clientEvent(links:now:)`` as JSON text, for responses that serve many events.
    ///
    /// An event without stored `unsigned` data, `redacts` or a redaction to embed (nearly every
    /// message) is written straight from its columns with its stored `content` copied as text
    /// (``JSONMemberScanner``), and so is the replaced event's content, which is several times
    /// cheaper than parsing and encoding them. The others go through ``clientEvent(links:now:)``;
    /// both give the same JSON.
    public func clientEventJSON(links: ClientEventLinks = ClientEventLinks(), now: Int64 = unixMilliseconds()) throws
        -> String {
        let members = links.redaction == nil ? try JSONMemberScanner.members(Self.copiedMembers, of: json) : [:]
        let previousContent = try links.replaced.flatMap { replaced in
            try JSONMemberScanner.members(["content"], of: replaced.json)["content"]
        }
        guard links.redaction == nil, let content = members["content"], members["unsigned"] == nil,
              members["redacts"] == nil, type != EventType.redaction, (links.replaced == nil) == (previousContent == nil)
        else {
            return try clientEvent(links: links, now: now).jsonString()
        }
        // Members in sorted order, as the object form writes them, into one string sized up front.
        var text = "{\"content\":"
        text.reserveCapacity(json.utf8.count + (previousContent?.utf8.count ?? 0) + 256)
        text.append(contentsOf: content)
        Self.appendMember("event_id", string: eventID, to: &text)
        text.append(",\"origin_server_ts\":")
        text.append(String(originServerTimestamp))
        Self.appendMember("room_id", string: roomID, to: &text)
        Self.appendMember("sender", string: sender, to: &text)
        if let stateKey { Self.appendMember("state_key", string: stateKey, to: &text) }
        Self.appendMember("type", string: type, to: &text)
        text.append(",\"unsigned\":{\"age\":")
        text.append(String(max(0, now - receivedTimestamp)))
        if let replaced = links.replaced, let previousContent {
            text.append(",\"prev_content\":")
            text.append(contentsOf: previousContent)
            Self.appendMember("prev_sender", string: replaced.sender, to: &text)
            Self.appendMember("replaces_state", string: replaced.eventID, to: &text)
        }
        if let transactionID = links.transactionID {
            Self.appendMember("transaction_id", string: transactionID, to: &text)
        }
        text += "}}"
        return text
    }

    /// Appends `,"name":` and the JSON text of the string `value`.
    private static func appendMember(_ name: String, string value: String, to text: inout String) {
        text.append(",\"")
        text.append(name)
        text.append("\":")
        JSONValue.appendJSONText(ofString: value, to: &text)
    }

    /// The stored PDU's members that decide whether ``clientEventJSON(links:now:)`` can copy.
    private static let copiedMembers: Set<String> = ["content", "redacts", "unsigned"]
}
