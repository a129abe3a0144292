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
        let users: [String: Int64] = room.rules.privilegedRoomCreators ? [User.bob: 50, User.carol: 50]
                                                                       : [User.alice: 100, User.bob: 50, User.carol: 50]
        room.setPowerLevels(users: users, by: User.alice) { $0["state_default"] = 50 }
        room.join(User.bob)
        room.join(User.carol)
        room.join(User.dave)
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
        #expect(change(room, by: User.bob) { setUser(&$0, User.dave, 50) } == nil)
        #expect(change(room, by: User.bob) { setUser(&$0, User.dave, 51) } == .powerLevelAboveOwn)
        #expect(change(room, by: User.bob) { $0["kick"] = 51 } == .powerLevelAboveOwn)
        #expect(change(room, by: User.bob) { $0["events"] = ["m.room.topic": 75] } == .powerLevelAboveOwn)
    }

    @Test("changing or removing a level above one's own, or another user at one's own level, is not allowed")
    func existingLevels() {
        let room = room()
        #expect(change(room, by: User.bob) { setUser(&$0, User.alice, 10) } == .powerLevelAboveOwn)
        #expect(change(room, by: User.bob) { setUser(&$0, User.carol, 10) } == .powerLevelEqualToOwn)
        #expect(change(room, by: User.bob) { setUser(&$0, User.bob, 10) } == nil)   // demoting oneself
        #expect(change(room, by: User.bob) { $0["redact"] = 50 } == nil)
        #expect(change(room, by: User.dave) { $0["redact"] = 0 } == .insufficientPowerToSend)   // below state_default
    }

    @Test("notifications levels are checked from v6", arguments: AuthVersions.all)
    func notifications(version: String) {
        var room = room(version)
        room.setPowerLevels(room["m.room.power_levels"]!.content.with { $0["notifications"] = ["room": 100] },
                            by: User.alice)
        let result = change(room, by: User.bob) { $0["notifications"] = ["room": 0] }
        #expect(result == (room.rules.limitNotificationsPowerLevels ? .powerLevelAboveOwn : nil))
    }

    @Test("string power levels are coerced before v10 and rejected from v10", arguments: AuthVersions.all)
    func stringLevels(version: String) {
        let room = room(version)
        let integerOnly = room.rules.integerOnlyPowerLevels
        #expect(change(room, by: User.bob) { $0["kick"] = "40" } == (integerOnly ? .invalidPowerLevels : nil))
        #expect(change(room, by: User.bob) { setUser(&$0, User.dave, " 20 ") }
                    == (integerOnly ? .invalidPowerLevels : nil))
        #expect(change(room, by: User.bob) { $0["kick"] = "sixty" } == .invalidPowerLevels)
        #expect(change(room, by: User.bob) { $0["kick"] = "60" } == (integerOnly ? .invalidPowerLevels : .powerLevelAboveOwn))
    }

    @Test("string levels already in state are read as numbers before v10")
    func stringLevelsInState() {
        var room = TestRoom(version: "9")
        room.setPowerLevels(["users": [User.alice: "100", User.bob: "50"], "state_default": "50", "kick": "50"],
                            by: User.alice)
        room.join(User.bob)
        room.join(User.dave)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: User.dave,
                                              content: ["membership": "leave"], sender: User.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: User.dave))
                    == .insufficientPowerToSend)
    }

    @Test("users keys must be user IDs")
    func invalidUserKey() {
        let room = room()
        #expect(change(room, by: User.alice) { setUser(&$0, "bob", 10) } == .invalidPowerLevels)
    }

    @Test("v12: creators have infinite power and may not be listed in users")
    func v12Creators() {
        var room = TestRoom(version: "12", additionalCreators: [User.carol])
        room.join(User.bob)
        room.join(User.carol)
        #expect(change(room, by: User.alice) { setUser(&$0, User.alice, 100) } == .creatorInPowerLevelUsers)
        #expect(change(room, by: User.alice) { setUser(&$0, User.carol, 100) } == .creatorInPowerLevelUsers)
        #expect(change(room, by: User.alice) { setUser(&$0, User.bob, 1_000_000) } == nil)
        #expect(change(room, by: User.carol) { $0["ban"] = 9_007_199_254_740_991 } == nil)
        // a creator cannot be kicked or banned by anyone, not even another creator
        room.setPowerLevels(users: [User.bob: 1_000_000], by: User.alice)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: User.alice,
                                              content: ["membership": "ban"], sender: User.bob)) == .insufficientPowerToBan)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: User.carol,
                                              content: ["membership": "leave"], sender: User.alice)) == .insufficientPowerToKick)
    }

    @Test("v11: the creator is the create event's sender; before v11 content.creator")
    func implicitCreator() {
        // Without a power levels event, the creator has 100.
        for version in ["10", "11"] {
            let room = TestRoom(version: RoomVersionID(version), createContent: ["creator": .string(User.bob)])
            var state = room.stateEvents
            state[StateKey(type: "m.room.power_levels", stateKey: "")] = nil
            let topic = room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: User.alice)
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
