import Foundation
import MatrixCore
import Testing

/// The `Codable` conformances exist for wire types; Matrix JSON itself is parsed by `JSONValue`.
@Suite("Codable bridging")
struct CodableBridgeTests {
    struct Envelope: Codable, Equatable {
        var sender: UserID
        var room: RoomID
        var content: JSONValue
    }

    @Test("JSON values and identifiers round-trip through Codable")
    func roundTrip() throws {
        let envelope = Envelope(
            sender: try UserID(parsing: "@a:x"), room: try RoomID(parsing: "!r:x"),
            content: ["n": 1, "f": 1.5, "s": "t", "b": false, "z": nil, "a": [1, ["k": "v"]]])
        let data = try JSONEncoder().encode(envelope)
        #expect(try JSONDecoder().decode(Envelope.self, from: data) == envelope)
        #expect(try JSONValue(parsing: data)["sender"] == "@a:x")
    }

    @Test("decoding an invalid identifier fails")
    func invalidIdentifier() {
        let data = Data(#"{"sender":"alice","room":"!r:x","content":{}}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Envelope.self, from: data) }
    }
}
