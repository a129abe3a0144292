import MatrixCore
import MatrixEvents
import RoomGraph
import Testing

@Suite("auth_types_for_event")
struct AuthTypesTests {
    private static let bob = UserID(User.bob)!

    private func types(
        _ type: String, _ stateKey: String? = nil, _ content: JSONObject = [:], version: RoomVersionID = "10"
    ) -> [String] {
        AuthorizationRules.authTypes(forEventOfType: type, stateKey: stateKey, sender: Self.bob, content: content,
                                     rules: version.rules!).map { "\($0.type)|\($0.stateKey)" }
    }

    @Test("create events have no auth events")
    func create() {
        #expect(types("m.room.create", "").isEmpty)
    }

    @Test("ordinary events: create, power levels, sender's membership")
    func ordinary() {
        #expect(types("m.room.message") == ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)"])
        #expect(types("m.room.topic", "") == ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)"])
    }

    @Test("v12 leaves out the create event")
    func v12() {
        #expect(types("m.room.message", version: "12") == ["m.room.power_levels|", "m.room.member|\(User.bob)"])
    }

    @Test("memberships", arguments: [
        ("join", User.bob, ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)", "m.room.join_rules|"]),
        ("invite", User.carol, ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)",
                                 "m.room.join_rules|", "m.room.member|\(User.carol)"]),
        ("knock", User.bob, ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)", "m.room.join_rules|"]),
        ("leave", User.carol, ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)",
                                "m.room.member|\(User.carol)"]),
        ("ban", User.carol, ["m.room.create|", "m.room.power_levels|", "m.room.member|\(User.bob)",
                              "m.room.member|\(User.carol)"]),
    ])
    func memberships(membership: String, target: String, expected: [String]) {
        #expect(types("m.room.member", target, ["membership": .string(membership)]) == expected)
    }

    @Test("third-party invites add the token's m.room.third_party_invite")
    func thirdParty() {
        let content: JSONObject = ["membership": "invite", "third_party_invite": ["signed": ["token": "abc"]]]
        #expect(types("m.room.member", User.carol, content).last == "m.room.third_party_invite|abc")
    }

    @Test("restricted joins add the authoriser's membership from v8", arguments: AuthVersions.all)
    func authoriser(version: String) {
        let content: JSONObject = ["membership": "join", "join_authorised_via_users_server": .string(User.alice)]
        let result = types("m.room.member", User.bob, content, version: RoomVersionID(version))
        #expect(result.contains("m.room.member|\(User.alice)") == (Int(version)! >= 8))
    }
}
