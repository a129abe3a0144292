import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

@Suite("Authorization rules: m.room.power_levels")
struct PowerLevelsRulesTests {
    /// alice 100, bob 50, carol 50 (v12: alice is the creator and unlisted); all joined.
    private func room(_ version: String = "10") -> TestRoom {
        var room = TestRoom(version: RoomVersionID(version))
        let users: [String: Int64] = room.rules.privilegedRoomCreators ? [AuthUsers.bob: 50, AuthUsers.carol: 50]
                                                                       : [AuthUsers.alice: 100, AuthUsers.bob: 50, AuthUsers.carol: 50]
        room.setPowerLevels(users: users, by: AuthUsers.alice) { $0["state_default"] = 50 }
        room.join(AuthUsers.bob)
        room.join(AuthUsers.carol)
        room.join(AuthUsers.dave)
        return room
    }

    private func change(_ room: TestRoom, by sender: String, _ edit: (inout JSONObject) -> Void) -> AuthorizationError.Code? {
        var content = room["m.room.power_levels"]!.content
        edit(&content)
        return room.rejection(of: room.draft(type: "m.room.power_levels", stateKey: "", content: content, sender: sender))
    }

    @Test("raising someone to one's own level is allowed; above it is not", arguments: AuthVersions.all)
    func aboveOwn(version: String) {
        let room = room(version)
        #expect(change(room, by: AuthUsers.bob) { setUser(&$0, AuthUsers.dave, 50) } == nil)
        #expect(change(room, by: AuthUsers.bob) { setUser(&$0, AuthUsers.dave, 51) } == .powerLevelAboveOwn)
        #expect(change(room, by: AuthUsers.bob) { $0["kick"] = 51 } == .powerLevelAboveOwn)
        #expect(change(room, by: AuthUsers.bob) { $0["events"] = ["m.room.topic": 75] } == .powerLevelAboveOwn)
    }

    @Test("changing or removing a level above one's own, or another user at one's own level, is not allowed")
    func existingLevels() {
        let room = room()
        #expect(change(room, by: AuthUsers.bob) { setUser(&$0, AuthUsers.alice, 10) } == .powerLevelAboveOwn)
        #expect(change(room, by: AuthUsers.bob) { setUser(&$0, AuthUsers.carol, 10) } == .powerLevelEqualToOwn)
        #expect(change(room, by: AuthUsers.bob) { setUser(&$0, AuthUsers.bob, 10) } == nil)   // demoting oneself
        #expect(change(room, by: AuthUsers.bob) { $0["redact"] = 50 } == nil)
        #expect(change(room, by: AuthUsers.dave) { $0["redact"] = 0 } == .insufficientPowerToSend)   // below state_default
    }

    @Test("notifications levels are checked from v6", arguments: AuthVersions.all)
    func notifications(version: String) {
        var room = room(version)
        room.setPowerLevels(room["m.room.power_levels"]!.content.with { $0["notifications"] = ["room": 100] },
                            by: AuthUsers.alice)
        let result = change(room, by: AuthUsers.bob) { $0["notifications"] = ["room": 0] }
        #expect(result == (room.rules.limitNotificationsPowerLevels ? .powerLevelAboveOwn : nil))
    }

    @Test("string power levels are coerced before v10 and rejected from v10", arguments: AuthVersions.all)
    func stringLevels(version: String) {
        let room = room(version)
        let integerOnly = room.rules.integerOnlyPowerLevels
        #expect(change(room, by: AuthUsers.bob) { $0["kick"] = "40" } == (integerOnly ? .invalidPowerLevels : nil))
        #expect(change(room, by: AuthUsers.bob) { setUser(&$0, AuthUsers.dave, " 20 ") }
                    == (integerOnly ? .invalidPowerLevels : nil))
        #expect(change(room, by: AuthUsers.bob) { $0["kick"] = "sixty" } == .invalidPowerLevels)
        #expect(change(room, by: AuthUsers.bob) { $0["kick"] = "60" } == (integerOnly ? .invalidPowerLevels : .powerLevelAboveOwn))
    }

    @Test("string levels already in state are read as numbers before v10")
    func stringLevelsInState() {
        var room = TestRoom(version: "9")
        room.setPowerLevels(["users": [AuthUsers.alice: "100", AuthUsers.bob: "50"], "state_default": "50", "kick": "50"],
                            by: AuthUsers.alice)
        room.join(AuthUsers.bob)
        room.join(AuthUsers.dave)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.dave,
                                              content: ["membership": "leave"], sender: AuthUsers.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: AuthUsers.dave))
                    == .insufficientPowerToSend)
    }

    @Test("users keys must be user IDs")
    func invalidUserKey() {
        let room = room()
        #expect(change(room, by: AuthUsers.alice) { setUser(&$0, "bob", 10) } == .invalidPowerLevels)
    }

    @Test("v12: creators have infinite power and may not be listed in users")
    func v12Creators() {
        var room = TestRoom(version: "12", additionalCreators: [AuthUsers.carol])
        room.join(AuthUsers.bob)
        room.join(AuthUsers.carol)
        #expect(change(room, by: AuthUsers.alice) { setUser(&$0, AuthUsers.alice, 100) } == .creatorInPowerLevelUsers)
        #expect(change(room, by: AuthUsers.alice) { setUser(&$0, AuthUsers.carol, 100) } == .creatorInPowerLevelUsers)
        #expect(change(room, by: AuthUsers.alice) { setUser(&$0, AuthUsers.bob, 1_000_000) } == nil)
        #expect(change(room, by: AuthUsers.carol) { $0["ban"] = 9_007_199_254_740_991 } == nil)
        // a creator cannot be kicked or banned by anyone, not even another creator
        room.setPowerLevels(users: [AuthUsers.bob: 1_000_000], by: AuthUsers.alice)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.alice,
                                              content: ["membership": "ban"], sender: AuthUsers.bob)) == .insufficientPowerToBan)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.carol,
                                              content: ["membership": "leave"], sender: AuthUsers.alice)) == .insufficientPowerToKick)
    }

    @Test("v11: the creator is the create event's sender; before v11 content.creator")
    func implicitCreator() {
        // Without a power levels event, the creator has 100.
        for version in ["10", "11"] {
            let room = TestRoom(version: RoomVersionID(version), createContent: ["creator": .string(AuthUsers.bob)])
            var state = room.stateEvents
            state[StateKey(type: "m.room.power_levels", stateKey: "")] = nil
            let topic = room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: AuthUsers.alice)
            let allowed = (try? AuthorizationRules.check(topic, authState: state, rules: room.rules)) != nil
            #expect(allowed == (version == "11"), "v\(version)")
        }
    }

    private func setUser(_ content: inout JSONObject, _ user: String, _ level: JSONValue) {
        var users = content["users"]?.objectValue ?? [:]
        users[user] = level
        content["users"] = .object(users)
    }
}

fileprivate extension JSONObject {
    func with(_ change: (inout JSONObject) -> Void) -> JSONObject {
        var copy = self
        change(&copy)
        return copy
    }
}
