import MatrixCore
import MatrixEvents
@testable import RoomGraph
import RoomGraphTesting
import Testing

/// Power levels with the creator at 100 (omitted from v12, where creators outrank everyone).
func levels(_ users: [String: Int64], _ rules: RoomVersionRules) -> [String: Int64] {
    var users = users
    if !rules.privilegedRoomCreators { users[User.alice] = 100 }
    return users
}

/// Scenarios of https://spec.matrix.org/v1.16/rooms/v2/#state-resolution in the style of Synapse's
/// `tests/state/test_v2.py`: two branches of one room, resolved both ways round.
@Suite("State resolution v2")
struct StateResolutionV2Tests {
    static let versions: [RoomVersionID] = ["2", "10", "11", "12"]

    @Test("a demotion wins over the demoted moderator's concurrent ban", arguments: versions)
    func demotionBeatsBan(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        room.join(User.charlie)
        room.setPowerLevels(users: levels([User.bob: 50], room.rules), by: User.alice)
        var fork = room.fork()
        room.ban(User.charlie, by: User.bob)                                     // earlier
        let demotion = fork.setPowerLevels(users: levels([:], room.rules), by: User.alice)   // later

        for resolved in [try room.resolved(with: fork), try fork.resolved(with: room)] {
            #expect(resolved.membership(of: User.charlie) == "join")
            #expect(resolved["m.room.power_levels"]?.eventID == demotion.eventID)
        }
    }

    @Test("a demotion sent first still wins over a later ban", arguments: versions)
    func earlierDemotionBeatsBan(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        room.join(User.charlie)
        room.setPowerLevels(users: levels([User.bob: 50], room.rules), by: User.alice)
        var fork = room.fork()
        let demotion = fork.setPowerLevels(users: levels([:], room.rules), by: User.alice)
        room.ban(User.charlie, by: User.bob)

        let resolved = try room.resolved(with: fork)
        #expect(resolved.membership(of: User.charlie) == "join")
        #expect(resolved["m.room.power_levels"]?.eventID == demotion.eventID)
    }

    @Test("a ban by a moderator who keeps their power stands", arguments: versions)
    func banWithoutDemotionStands(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        room.join(User.charlie)
        room.setPowerLevels(users: levels([User.bob: 50], room.rules), by: User.alice)
        var fork = room.fork()
        let ban = room.ban(User.charlie, by: User.bob)
        fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "unrelated"], sender: User.alice)

        let resolved = try room.resolved(with: fork)
        #expect(resolved["m.room.member", User.charlie]?.eventID == ban.eventID)
        #expect(resolved["m.room.topic"]?.content["topic"]?.stringValue == "unrelated")
    }

    @Test("power levels sent by a demoted moderator are dropped (offtopic power levels)", arguments: versions)
    func offtopicPowerLevels(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        room.join(User.charlie)
        room.setPowerLevels(users: levels([User.bob: 50], room.rules), by: User.alice)
        var fork = room.fork()
        room.setPowerLevels(users: levels([User.bob: 50, User.charlie: 50], room.rules), by: User.bob)
        let demotion = fork.setPowerLevels(users: levels([:], room.rules), by: User.alice)

        for resolved in [try room.resolved(with: fork), try fork.resolved(with: room)] {
            #expect(resolved["m.room.power_levels"]?.eventID == demotion.eventID)
        }
    }

    @Test("a join under a join rule changed concurrently to invite is rejected", arguments: versions)
    func joinRuleChange(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        var fork = room.fork()
        let rule = room.setJoinRule("invite", by: User.alice)
        fork.join(User.eve)

        for resolved in [try room.resolved(with: fork), try fork.resolved(with: room)] {
            #expect(resolved["m.room.join_rules"]?.eventID == rule.eventID)
            #expect(resolved.membership(of: User.eve) == nil)
            #expect(resolved.membership(of: User.bob) == "join")
        }
    }

    @Test("conflicting topics under the same power levels: the later one wins", arguments: versions)
    func topicsByTimestamp(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        var fork = room.fork()
        room.send(type: "m.room.topic", stateKey: "", content: ["topic": "first"], sender: User.alice)
        let later = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "second"], sender: User.alice)

        for resolved in [try room.resolved(with: fork), try fork.resolved(with: room)] {
            #expect(resolved["m.room.topic"]?.eventID == later.eventID)
        }
    }

    @Test("mainline ordering: a topic under newer power levels beats a later topic under older ones",
          arguments: versions)
    func mainlineOrdering(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        var fork = room.fork()
        room.setPowerLevels(users: levels([User.bob: 50], room.rules), by: User.alice)
        let bobsTopic = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "bob"], sender: User.bob)
        fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "alice, later"], sender: User.alice)

        for resolved in [try room.resolved(with: fork), try fork.resolved(with: room)] {
            #expect(resolved["m.room.topic"]?.eventID == bobsTopic.eventID)
        }
    }

    @Test("a topic from a user the resolved power levels do not allow is dropped", arguments: versions)
    func topicFromDemotedUser(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        room.setPowerLevels(users: levels([User.bob: 50], room.rules), by: User.alice)
        let original = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "original"], sender: User.alice)
        var fork = room.fork()
        room.send(type: "m.room.topic", stateKey: "", content: ["topic": "bob"], sender: User.bob)
        fork.setPowerLevels(users: levels([:], room.rules), by: User.alice)

        let resolved = try room.resolved(with: fork)
        #expect(resolved["m.room.topic"]?.eventID == original.eventID)
    }

    @Test("identical states and a single state resolve to themselves", arguments: versions)
    func unconflictedPassthrough(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        room.join(User.bob)
        room.send(type: "m.room.topic", stateKey: "", content: ["topic": "t"], sender: User.alice)
        var fork = room.fork()
        room.message("hi", from: User.bob)
        fork.message("hello", from: User.alice)
        let events = room.allEvents
        let state = room.state
        #expect(try StateResolution.resolve([state], provider: events, rules: room.rules) == state)
        #expect(try StateResolution.resolve([state, fork.state], provider: events, rules: room.rules) == state)
        #expect(try StateResolution.resolve([], provider: events, rules: room.rules) == [:])
    }

    @Test("rejected events never enter the resolved state", arguments: versions)
    func rejectedEventsAreSkipped(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        var fork = room.fork()
        let first = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "a"], sender: User.alice)
        let second = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "b"], sender: User.alice)

        #expect(try room.resolved(with: fork)["m.room.topic"]?.eventID == second.eventID)
        #expect(try room.resolved(with: fork, rejected: [second.eventID])["m.room.topic"]?.eventID == first.eventID)
    }

    @Test("conflicted events the provider does not know take no part", arguments: versions)
    func unknownEventsAreIgnored(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        var fork = room.fork()
        let first = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "a"], sender: User.alice)
        let second = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "b"], sender: User.alice)
        var events = room.allEvents
        events[second.eventID] = nil

        let resolved = try StateResolution.resolve([room.state, fork.state], provider: events, rules: room.rules)
        #expect(resolved[TestRoom.slot("m.room.topic")] == first.eventID)
    }

    @Test("a cycle of auth events among power events is reported")
    func authCycle() throws {
        let rules = RoomVersionRules.v10
        func event(_ id: String, type: String, auth: String) throws -> PDU {
            try PDU(eventID: EventID(id)!, json: [
                "type": .string(type), "state_key": "", "sender": "@alice:example.org", "content": [:],
                "room_id": "!room:example.org", "auth_events": [.string(auth)], "prev_events": [],
                "depth": 1, "origin_server_ts": 1,
            ])
        }
        let a = try event("$A", type: "m.room.power_levels", auth: "$B")
        let b = try event("$B", type: "m.room.join_rules", auth: "$A")
        let events = [a.eventID: a, b.eventID: b]
        let states: [StateMap] = [[a.stateSlot!: a.eventID, b.stateSlot!: b.eventID], [:]]
        #expect(throws: StateResolutionError.authEventCycle([a.eventID, b.eventID])) {
            try StateResolution.resolve(states, provider: events, rules: rules, authorizer: AllowAllAuthorizer())
        }
    }

    @Test("room version 12 uses state resolution v2.1 (MSC4297); earlier versions v2.0")
    func versionTweaks() {
        #expect(RoomVersionRules.v2.stateResolutionV2 == .v2_0)
        #expect(RoomVersionRules.v11.stateResolutionV2 == .v2_0)
        #expect(RoomVersionRules.v12.stateResolutionV2 == .v2_1)
        #expect(RoomVersionRules.hydra11.stateResolutionV2 == .v2_1)
    }

    @Test("the conflicted state subgraph joins conflicted events through their auth paths (v12 only)",
          arguments: ["10", "12"] as [RoomVersionID])
    func conflictedSubgraph(version: RoomVersionID) throws {
        var room = TestRoom(version: version)
        let firstJoin = room.join(User.charlie)
        let leave = room.leave(User.charlie)
        let secondJoin = room.join(User.charlie)
        // A state reset: a second state with charlie's first join, whose chain lacks the later events.
        var reset = room.state
        reset[TestRoom.slot("m.room.member", User.charlie)] = firstJoin.eventID

        let result = try StateResolution.resolveWithStatistics(
            [room.state, reset], provider: room.allEvents, rules: room.rules)
        #expect(result.conflictedCount == 2)
        #expect(result.authDifferenceCount == 2)   // the leave and the second join
        #expect(result.conflictedSubgraphCount == (room.rules.stateResolutionV2.considerConflictedStateSubgraph ? 3 : 0))
        #expect(result.state[TestRoom.slot("m.room.member", User.charlie)] == secondJoin.eventID)
        _ = leave
    }

    @Test("the sender's power level comes from the event's own auth events")
    func senderPowerLevel() throws {
        for version: RoomVersionID in ["10", "12"] {
            var room = TestRoom(version: version, additionalCreators: version == "12" ? [User.zara] : [])
            room.join(User.bob)
            room.join(User.zara)
            let promotion = room.setPowerLevels(users: levels([User.bob: 40], room.rules), by: User.alice)
            let bobs = room.send(type: "m.room.topic", stateKey: "", content: [:], sender: User.bob)
            let alices = room.send(type: "m.room.topic", stateKey: "", content: [:], sender: User.alice)
            let zaras = room.send(type: "m.room.topic", stateKey: "", content: [:], sender: User.zara)
            let events = room.allEvents
            func level(_ event: PDU) -> Int64 {
                let auth = EventGraph<[EventID: PDU]>.authEventIDs(of: event, rules: room.rules).compactMap { events[$0] }
                return SenderPowerLevel.of(event, authEvents: auth, rules: room.rules)
            }
            #expect(level(bobs) == 40)
            #expect(level(promotion) == (version == "12" ? SenderPowerLevel.creator : 100))
            #expect(level(alices) == (version == "12" ? SenderPowerLevel.creator : 100))
            #expect(level(zaras) == (version == "12" ? SenderPowerLevel.creator : 0))
        }
    }
}
