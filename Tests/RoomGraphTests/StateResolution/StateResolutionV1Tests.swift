import MatrixCore
import MatrixEvents
@testable import RoomGraph
import RoomGraphTesting
import Testing

/// Room version 1: https://spec.matrix.org/v1.16/rooms/v1/#state-resolution, as Synapse's
/// `synapse/state/v1.py` runs it.
@Suite("State resolution v1")
struct StateResolutionV1Tests {
    @Test("power levels resolve first: a demotion voids the demoted moderator's concurrent ban")
    func demotionBeatsBan() throws {
        var room = TestRoom(version: "1")
        room.join(User.bob)
        room.join(User.charlie)
        room.setPowerLevels(users: [User.alice: 100, User.bob: 50], by: User.alice)
        var fork = room.fork()
        room.ban(User.charlie, by: User.bob)
        let demotion = fork.setPowerLevels(users: [User.alice: 100], by: User.alice)

        for resolved in [try room.resolved(with: fork), try fork.resolved(with: room)] {
            #expect(resolved["m.room.power_levels"]?.eventID == demotion.eventID)
            #expect(resolved.membership(of: User.charlie) == "join")
        }
    }

    @Test("the deepest event that passes the auth checks wins an ordinary slot")
    func deepestAllowedWins() throws {
        var room = TestRoom(version: "1")
        room.join(User.bob)
        var fork = room.fork()
        let shallow = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "a"], sender: User.alice)
        fork.message("padding", from: User.alice)
        fork.message("padding", from: User.alice)
        let deep = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "b"], sender: User.alice)
        #expect(deep.depth > shallow.depth)
        #expect(try room.resolved(with: fork)["m.room.topic"]?.eventID == deep.eventID)

        // Bob (power 0) may not set the topic: his deeper event fails and the allowed one wins.
        var other = room.fork()
        other.message("padding", from: User.alice)
        other.message("padding", from: User.alice)
        other.send(type: "m.room.topic", stateKey: "", content: ["topic": "bob"], sender: User.bob)
        #expect(try room.resolved(with: other)["m.room.topic"]?.eventID == shallow.eventID)
    }

    @Test("a slot missing from one state is not conflicted in v1, but is in v2")
    func missingSlotIsNotAConflict() {
        let topic = TestRoom.slot("m.room.topic")
        let name = TestRoom.slot("m.room.name")
        let a: StateMap = [topic: EventID("$t:example.org")!, name: EventID("$n1:example.org")!]
        let b: StateMap = [name: EventID("$n2:example.org")!]
        let v1 = StateResolverV1<[EventID: PDU], AllowAllAuthorizer>.split([a, b])
        #expect(v1.unconflicted == [topic: EventID("$t:example.org")!])
        #expect(Set(v1.conflicted[name] ?? []) == [EventID("$n1:example.org")!, EventID("$n2:example.org")!])
        let v2 = StateResolverV2<[EventID: PDU], AllowAllAuthorizer>.split([a, b])
        #expect(v2.unconflicted.isEmpty)
        #expect(v2.conflicted[topic] == [EventID("$t:example.org")!])
    }

    @Test("a single state resolves to itself")
    func singleState() throws {
        var room = TestRoom(version: "1")
        room.join(User.bob)
        #expect(try StateResolution.resolve([room.state], provider: room.allEvents, rules: room.rules) == room.state)
    }

    @Test("SHA-1 of the v1 tie-break matches the standard vectors")
    func sha1() {
        func hex(_ text: String) -> String {
            SHA1.digest(Array(text.utf8)).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16)
                : String($0, radix: 16) }.joined()
        }
        #expect(hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(String(repeating: "a", count: 1000)) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    @Test("equal depths are ordered by the SHA-1 of the event ID")
    func sha1Ordering() throws {
        func event(_ id: String) throws -> PDU {
            try PDU(eventID: EventID(id)!, json: [
                "type": "m.room.topic", "state_key": "", "sender": "@alice:example.org", "content": [:],
                "depth": 5,
            ])
        }
        // Python: sorted(ids, key=lambda i: hashlib.sha1(i.encode()).hexdigest())
        let ids = ["$a:x", "$b:x", "$c:x", "$d:x", "$e:x", "$f:x", "$g:x", "$h:x"]
        let ordered = StateResolverV1<[EventID: PDU], AllowAllAuthorizer>.ordered(try ids.map(event))
        let expected = ["$e:x", "$h:x", "$a:x", "$g:x", "$f:x", "$b:x", "$d:x", "$c:x"]
        #expect(ordered.map(\.eventID.description) == expected)
    }

    /// Synapse's v1 resolution loads events with `get_events(allow_rejected=False)`
    /// (`synapse/state/__init__.py` passes `state_res_store.get_events` as the `state_map_factory`), so a
    /// rejected event is as good as unknown: it neither wins a conflicted slot nor serves as an auth event.
    @Test("rejected events are treated as unknown: they never win a conflicted slot")
    func rejectedEventsAreUnknown() throws {
        var room = TestRoom(version: "1")
        room.join(User.bob)
        var fork = room.fork()
        let shallow = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "a"], sender: User.alice)
        fork.message("padding", from: User.alice)
        let deep = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "b"], sender: User.alice)
        #expect(try room.resolved(with: fork)["m.room.topic"]?.eventID == deep.eventID)
        #expect(try room.resolved(with: fork, rejected: [deep.eventID])["m.room.topic"]?.eventID == shallow.eventID)
        #expect(try fork.resolved(with: room, rejected: [deep.eventID])["m.room.topic"]?.eventID == shallow.eventID)
    }

    @Test("a rejected unconflicted power levels event is not used to authorise the conflicted events")
    func rejectedAuthEventIsUnknown() throws {
        // Bob at 50 may set the topic under the power levels, but not without them (state_default 50,
        // and with no power levels event only the creator has power).
        var room = TestRoom(version: "1")
        room.join(User.bob)
        let promotion = room.setPowerLevels(users: [User.alice: 100, User.bob: 50], by: User.alice)
        var fork = room.fork()
        let alices = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "a"], sender: User.alice)
        fork.message("padding", from: User.alice)
        let bobs = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "b"], sender: User.bob)
        #expect(try room.resolved(with: fork)["m.room.topic"]?.eventID == bobs.eventID)
        let resolved = try room.resolved(with: fork, rejected: [promotion.eventID])
        #expect(resolved["m.room.topic"]?.eventID == alices.eventID)
    }

    /// Synapse's `_create_auth_events_from_maps` picks the auth events from the unconflicted state as
    /// `_seperate` returned it, before `_resolve_with_state` moves a conflicted slot with a single known
    /// event into the unconflicted state: that event decides the slot but authorises nothing.
    @Test("a conflicted slot left with one known event does not authorise the other conflicted events")
    func singleKnownEventIsNotAnAuthEvent() throws {
        var room = TestRoom(version: "1")
        room.join(User.bob)
        var fork = room.fork()
        // Alice hands her power to Bob, and Bob sets the topic.
        let handover = room.setPowerLevels(users: [User.alice: 0, User.bob: 100], by: User.alice)
        let bobs = room.send(type: "m.room.topic", stateKey: "", content: ["topic": "b"], sender: User.bob)
        // Concurrently, other power levels (unknown to us) and a deeper topic by Alice.
        let other = fork.setPowerLevels(users: [User.alice: 100], by: User.alice)
        fork.message("padding", from: User.alice)
        let alices = fork.send(type: "m.room.topic", stateKey: "", content: ["topic": "a"], sender: User.alice)
        #expect(alices.depth > bobs.depth)
        var events = room.allEvents
        events[other.eventID] = nil

        let resolved = try StateResolution.resolve([room.state, fork.state], provider: events, rules: room.rules)
        #expect(resolved[TestRoom.slot("m.room.power_levels")] == handover.eventID)
        // Checked without power levels, Alice (the creator) may set the topic; under the handover she may not.
        #expect(resolved[TestRoom.slot("m.room.topic")] == alices.eventID)
    }
}
