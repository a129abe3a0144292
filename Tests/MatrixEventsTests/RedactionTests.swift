import MatrixCore
import MatrixEvents
import Testing

@Suite("Redaction")
struct RedactionTests {
    let member: JSONObject = [
        "type": "m.room.member", "state_key": "@bob:x", "sender": "@bob:x", "room_id": "!r:x", "origin": "x",
        "membership": "join", "prev_state": [], "unsigned": ["age": 1, "age_ts": 5, "transaction_id": "t"],
        "content": [
            "membership": "join", "displayname": "Bob", "join_authorised_via_users_server": "@alice:x",
            "third_party_invite": ["signed": ["token": "t"], "display_name": "b"],
        ],
    ]

    @Test("v1 keeps membership only and the old top-level keys")
    func v1Member() {
        let result = redacted(member, rules: .v1)
        #expect(result["content"] == ["membership": "join"])
        #expect(result["origin"] == "x" && result["membership"] == "join" && result["prev_state"] == [])
        #expect(result["unsigned"] == ["age_ts": 5])
    }

    @Test("v9 keeps the authorising user; v11 also third_party_invite.signed but drops origin")
    func laterMember() {
        #expect(redacted(member, rules: .v9)["content"] == ["membership": "join", "join_authorised_via_users_server": "@alice:x"])
        let v11 = redacted(member, rules: .v11)
        #expect(v11["content"] == [
            "membership": "join", "join_authorised_via_users_server": "@alice:x",
            "third_party_invite": ["signed": ["token": "t"]],
        ])
        #expect(v11["origin"] == nil && v11["membership"] == nil && v11["prev_state"] == nil)
    }

    @Test("create events keep creator before v11 and everything from v11")
    func create() {
        let create: JSONObject = ["type": "m.room.create", "content": ["creator": "@a:x", "m.federate": false]]
        #expect(redacted(create, rules: .v10)["content"] == ["creator": "@a:x"])
        #expect(redacted(create, rules: .v11)["content"] == ["creator": "@a:x", "m.federate": false])
    }

    @Test("aliases keep content only in v1 to v5; redactions keep redacts from v11")
    func aliasesAndRedactions() {
        let aliases: JSONObject = ["type": "m.room.aliases", "content": ["aliases": ["#a:x"]]]
        #expect(redacted(aliases, rules: .v5)["content"] == ["aliases": ["#a:x"]])
        #expect(redacted(aliases, rules: .v6)["content"] == [:])
        let redaction: JSONObject = ["type": "m.room.redaction", "redacts": "$e", "content": ["redacts": "$e", "reason": "r"]]
        #expect(redacted(redaction, rules: .v10)["content"] == [:] && redacted(redaction, rules: .v10)["redacts"] == nil)
        #expect(redacted(redaction, rules: .v11)["content"] == ["redacts": "$e"])
    }
}
