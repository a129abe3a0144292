import MatrixCore
import MatrixCrypto
import MatrixEvents
import Testing

@Suite("Event hashing and signing")
struct EventHashingTests {
    let key = try! Ed25519SigningKey(seed: Base64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")!)

    /// The spec appendix's minimal event: https://spec.matrix.org/v1.16/appendices/#signing-a-minimal-event
    let minimal: JSONObject = [
        "auth_events": [], "content": [:], "depth": 3, "hashes": [:], "origin": "domain", "origin_server_ts": 1_000_000,
        "prev_events": [], "room_id": "!x:domain", "sender": "@a:domain", "signatures": [:], "type": "X",
        "unsigned": ["age_ts": 1_000_000],
    ]

    @Test("reproduces the spec appendix content hash and signature")
    func specMinimalEvent() throws {
        #expect(Base64.encodeUnpadded(try EventHashing.contentHash(of: minimal)) == "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos")
        let signed = try EventHashing.hashAndSign(minimal, rules: .v1, serverName: "domain", keyID: "ed25519:1", key: key)
        #expect(signed["hashes"] == ["sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"])
        #expect(signed["signatures"]?["domain"]?["ed25519:1"]
            == "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg")
        #expect(signed["unsigned"] == minimal["unsigned"])
        #expect(EventHashing.hasValidContentHash(signed))
        var tampered = signed
        tampered["content"] = ["body": "changed"]
        #expect(!EventHashing.hasValidContentHash(tampered))
    }

    @Test("event IDs: explicit in v1, standard Base64 in v3, URL-safe from v4")
    func eventIDFormats() throws {
        var event = minimal
        event["event_id"] = "$abc:domain"
        #expect(try EventHashing.eventID(of: event, rules: .v1).description == "$abc:domain")
        #expect(throws: EventHashingError.missingEventID) { try EventHashing.eventID(of: minimal, rules: .v2) }
        let hash = try EventHashing.referenceHash(of: minimal, rules: .v3)
        #expect(try EventHashing.eventID(of: minimal, rules: .v3).description == "$" + Base64.encodeUnpadded(hash))
        #expect(try EventHashing.eventID(of: minimal, rules: .v4).description == "$" + Base64.encodeUnpadded(hash, urlSafe: true))
    }

    @Test("the reference hash ignores signatures, unsigned and redactable content")
    func referenceHashCoverage() throws {
        var changed = minimal
        changed["signatures"] = ["other": ["ed25519:1": "c2ln"]]
        changed["unsigned"] = ["age": 1]
        changed["content"] = ["body": "redactable"]
        #expect(try EventHashing.referenceHash(of: changed, rules: .v11) == EventHashing.referenceHash(of: minimal, rules: .v11))
        changed["depth"] = 4
        #expect(try EventHashing.referenceHash(of: changed, rules: .v11) != EventHashing.referenceHash(of: minimal, rules: .v11))
    }

    @Test("a v12 create event defines its room's ID")
    func v12RoomID() throws {
        let create: JSONObject = ["type": "m.room.create", "state_key": "", "sender": "@a:domain", "content": ["room_version": "12"]]
        let eventID = try EventHashing.eventID(of: create, rules: .v12)
        let roomID = try EventHashing.roomID(ofCreateEvent: create, rules: .v12)
        #expect(roomID.serverName == nil)
        #expect(roomID.opaqueID == eventID.opaqueID)
    }

    @Test("signing with a server key uses its key ID")
    func serverKey() throws {
        let serverKey = ServerSigningKey(version: "a_test", key: key)
        let signed = try EventHashing.hashAndSign(minimal, rules: .v12, serverName: "domain", key: serverKey)
        let signature = try #require(signed["signatures"]?["domain"]?["ed25519:a_test"])
        #expect(signature.stringValue != nil)
    }
}
