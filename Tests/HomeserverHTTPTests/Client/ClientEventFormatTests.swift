import Homeserver
import MatrixCore
@testable import Storage
import Testing

@Suite("Client event format: text and object forms agree")
struct ClientEventFormatTests {
    static let now: Int64 = 1_700_000_010_000

    static func stored(
        _ json: String, type: String = "m.room.message", stateKey: String? = nil, eventID: String = "$e1"
    ) -> PersistedEvent {
        PersistedEvent(
            streamPosition: 7, eventID: eventID, roomID: "!room:test.local", type: type, stateKey: stateKey,
            sender: "@alice:test.local", depth: 3, originServerTimestamp: 1_700_000_000_000,
            receivedTimestamp: 1_700_000_000_500, json: json, rejectedReason: nil, outlier: false
        )
    }

    static let events: [PersistedEvent] = [
        stored(#"{"auth_events":["$a"],"content":{"body":"h\"i }","msgtype":"m.text"},"depth":3,"hashes":{"sha256":"x"},"type":"m.room.message"}"#),
        stored(#"{"content":{"membership":"join","displayname":"Ä"},"state_key":"@alice:test.local","type":"m.room.member"}"#,
               type: "m.room.member", stateKey: "@alice:test.local"),
        stored(#"{"content":{},"state_key":"","type":"m.room.topic","unsigned":{"replaces_state":"$old"}}"#,
               type: "m.room.topic", stateKey: ""),
        stored(#"{"content":{"redacts":"$target","reason":"spam"},"type":"m.room.redaction"}"#, type: "m.room.redaction"),
        stored(#"{"content":{},"redacts":"$target","type":"m.room.redaction"}"#, type: "m.room.redaction"),
        stored(#"{"content":{"redacts":"$not-a-redaction"},"type":"m.custom"}"#, type: "m.custom"),
    ]

    @Test("every kind of stored event gives the same JSON through both forms", arguments: events)
    func sameJSON(event: PersistedEvent) throws {
        let text = try event.clientEventJSON(now: Self.now)
        #expect(try JSONValue(parsing: text) == .object(try event.clientEvent(now: Self.now)))
    }

    @Test("a redacted event embeds its redaction in both forms")
    func redactedEvent() throws {
        var redacted = Self.stored(#"{"content":{},"type":"m.room.message"}"#)
        redacted.redactedBy = "$r"
        let redaction = Self.stored(#"{"content":{"redacts":"$e1"},"type":"m.room.redaction"}"#, type: "m.room.redaction",
                                    eventID: "$r")
        let text = try redacted.clientEventJSON(links: ClientEventLinks(redaction: redaction), now: Self.now)
        let parsed = try JSONValue(parsing: text)
        #expect(parsed == .object(try redacted.clientEvent(links: ClientEventLinks(redaction: redaction), now: Self.now)))
        #expect(parsed["unsigned"]?["redacted_because"]?["event_id"] == "$r")
        #expect(parsed["unsigned"]?["age"] == .integer(Self.now - 1_700_000_000_500))
    }

    @Test("a replaced state event and a transaction ID appear in unsigned in both forms", arguments: [
        #"{"content":{"displayname":"Al","membership":"join"},"type":"m.room.member"}"#,
        // Content the scanner cannot copy (none): the object form's empty prev_content.
        #"{"type":"m.room.member"}"#,
    ])
    func linkedEvents(replacedJSON: String) throws {
        let member = Self.stored(#"{"content":{"membership":"join"},"state_key":"@alice:test.local","type":"m.room.member"}"#,
                                 type: "m.room.member", stateKey: "@alice:test.local")
        let replaced = Self.stored(replacedJSON, type: "m.room.member", stateKey: "@alice:test.local", eventID: "$old")
        let links = ClientEventLinks(replaced: replaced, transactionID: "t\"1")
        let parsed = try JSONValue(parsing: try member.clientEventJSON(links: links, now: Self.now))
        #expect(parsed == .object(try member.clientEvent(links: links, now: Self.now)))
        #expect(parsed["unsigned"]?["replaces_state"] == "$old")
        #expect(parsed["unsigned"]?["prev_sender"] == "@alice:test.local")
        #expect(parsed["unsigned"]?["prev_content"] == (try JSONValue(parsing: replacedJSON))["content"] ?? .object([:]))
        #expect(parsed["unsigned"]?["transaction_id"] == "t\"1")
    }

    @Test("stored JSON that is not an object is reported, not served")
    func corrupt() {
        #expect(throws: (any Error).self) { try Self.stored("[1,2]").clientEventJSON(now: Self.now) }
    }
}
