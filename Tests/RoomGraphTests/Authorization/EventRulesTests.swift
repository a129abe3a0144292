import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

@Suite("Authorization rules: other events")
struct EventRulesTests {
    @Test("messages need a joined sender at events_default", arguments: AuthVersions.all)
    func messages(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        room.join(User.bob)
        #expect(room.rejection(of: room.draft(type: "m.room.message", content: ["body": "hi"], sender: User.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.room.message", content: ["body": "hi"], sender: User.carol))
                    == .senderNotJoined)
        room.leave(User.bob)
        #expect(room.rejection(of: room.draft(type: "m.room.message", content: ["body": "hi"], sender: User.bob))
                    == .senderNotJoined)
    }

    @Test("state events need state_default or the type's level")
    func sendLevels() {
        var room = TestRoom(version: "10")
        room.join(User.bob)
        #expect(room.rejection(of: room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: User.bob))
                    == .insufficientPowerToSend)
        room.setPowerLevels(users: [User.alice: 100], by: User.alice) {
            $0["events"] = ["m.room.topic": 0, "m.room.message": 10]
        }
        #expect(room.rejection(of: room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: User.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.room.message", content: [:], sender: User.bob))
                    == .insufficientPowerToSend)
    }

    @Test("a state key starting with @ must be the sender's")
    func othersState() {
        var room = TestRoom(version: "11")
        room.join(User.bob)
        room.setPowerLevels(users: [User.alice: 100], by: User.alice) { $0["state_default"] = 0 }
        #expect(room.rejection(of: room.draft(type: "m.custom", stateKey: User.bob, content: [:], sender: User.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.custom", stateKey: User.bob, content: [:], sender: User.alice))
                    == .notStateKeyOwner)
        #expect(room.rejection(of: room.draft(type: "m.custom", stateKey: User.bob + "_x", content: [:], sender: User.bob))
                    == .notStateKeyOwner)
    }

    @Test("MSC3757: owned state keys with a suffix, and more powerful users may write them")
    func ownedStateKeys() {
        var room = TestRoom(rules: .msc3757v11)
        room.join(User.bob)
        room.setPowerLevels(users: [User.alice: 100], by: User.alice) { $0["state_default"] = 0 }
        func send(_ key: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.call.member", stateKey: key, content: [:], sender: sender))
        }
        #expect(send(User.bob + "_device", by: User.bob) == nil)
        #expect(send(User.bob + "_device", by: User.alice) == nil)
        #expect(send(User.alice + "_device", by: User.bob) == .notStateKeyOwner)
        #expect(send("@not a user", by: User.bob) == .notStateKeyOwner)
    }

    @Test("m.room.aliases: v1–v5 only the sender's server, as the state key; v6+ ordinary state",
          arguments: AuthVersions.all)
    func aliases(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        room.join(User.remote)
        let rules = room.rules
        let remoteOwn = room.draft(type: "m.room.aliases", stateKey: "remote.example", content: [:], sender: User.remote)
        let remoteOther = room.draft(type: "m.room.aliases", stateKey: "example.org", content: [:], sender: User.remote)
        let nonMember = room.draft(type: "m.room.aliases", stateKey: "elsewhere.example", content: [:],
                                   sender: "@x:elsewhere.example")
        if rules.specialCaseAliasesAuth {
            #expect(room.rejection(of: remoteOwn) == nil)
            #expect(room.rejection(of: nonMember) == nil)
            #expect(room.rejection(of: remoteOther) == .invalidAliasesEvent)
        } else {
            #expect(room.rejection(of: remoteOwn) == .insufficientPowerToSend)
            #expect(room.rejection(of: nonMember) == .senderNotJoined)
        }
    }

    @Test("redactions: v1–v2 below the redact level only of the same server's events; v3+ at send level",
          arguments: AuthVersions.all)
    func redactions(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        room.join(User.bob)
        room.join(User.remote)
        let ownServer = room.message(from: User.bob)
        let otherServer = room.message(from: User.remote)
        func redact(_ target: PDU, by sender: String) -> AuthorizationError.Code? {
            let key = room.rules.redactsInContent
            let redaction = room.draft(type: "m.room.redaction", content: key ? ["redacts": .string(target.eventID.description)] : [:],
                                       sender: sender, extra: key ? [:] : ["redacts": .string(target.eventID.description)])
            return room.rejection(of: redaction)
        }
        #expect(redact(ownServer, by: User.bob) == nil)
        #expect(redact(otherServer, by: User.alice) == nil)       // alice has redact power
        let expected: AuthorizationError.Code? = room.rules.eventIDFormat == .explicit ? .insufficientPowerToRedact : nil
        #expect(redact(otherServer, by: User.bob) == expected)
    }

    @Test("every event needs a create event in its auth state")
    func missingCreate() {
        let room = TestRoom(version: "10")
        var state = room.stateEvents
        state[room.createEvent.stateSlot!] = nil
        let message = room.draft(type: "m.room.message", content: [:], sender: User.alice)
        #expect(throws: AuthorizationError.self) {
            try AuthorizationRules.check(message, authState: state, rules: room.rules)
        }
        #expect((try? AuthorizationRules.check(room.createEvent, authState: [:], rules: room.rules)) != nil)
    }

    @Test("m.federate false keeps other servers' events out")
    func federate() {
        var room = TestRoom(version: "10", createContent: ["m.federate": false])
        var state = room.stateEvents
        let join = room.draft(type: "m.room.member", stateKey: User.remote, content: ["membership": "join"],
                              sender: User.remote)
        state[join.stateSlot!] = join
        let message = room.draft(type: "m.room.message", content: [:], sender: User.remote)
        #expect(throws: AuthorizationError(.roomNotFederatable, "This room has been marked as unfederatable.")) {
            try AuthorizationRules.check(message, authState: state, rules: room.rules)
        }
        room.message(from: User.alice)
    }
}
