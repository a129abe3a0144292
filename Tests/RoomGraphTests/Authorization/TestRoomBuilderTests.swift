import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

@Suite("TestRoom DSL")
struct TestRoomTests {
    @Test("a new room has create, creator join, power levels and join rules with readable IDs")
    func initialState() throws {
        let room = TestRoom(version: "10", creator: User.alice)
        #expect(room.timeline.map(\.eventID.description) == ["$CREATE", "$JOIN_alice_1", "$PL_1", "$JR_1"])
        #expect(room.state.count == 4)
        #expect(room["m.room.join_rules"]?.content["join_rule"] == "public")
        #expect(room.roomID == "!room:example.org")
        let join = try #require(room.event("$JOIN_alice_1"))
        #expect(join.prevEventIDs == [room.createEvent.eventID])
        #expect(join.authEventIDs == [room.createEvent.eventID])
        #expect(join.depth == 2)
        let pl = try #require(room["m.room.power_levels"])
        #expect(pl.authEventIDs.map(\.description) == ["$CREATE", "$JOIN_alice_1"])
        #expect(pl.originServerTimestamp > join.originServerTimestamp)
    }

    @Test("every built event passes its own auth events and the state before it", arguments: AuthVersions.all)
    func builtEventsAreValid(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        room.join(User.bob)
        room.setPowerLevels(users: room.rules.privilegedRoomCreators ? [User.bob: 50] : [User.alice: 100, User.bob: 50],
                            by: User.alice)
        room.message(from: User.bob)
        room.invite(User.carol, by: User.alice)
        room.join(User.carol)
        room.kick(User.carol, by: User.alice)
        room.ban(User.dave, by: User.bob)
        for event in room.timeline {
            #expect(room.authEventsRejection(of: event) == nil, "\(event.eventID)")
        }
    }

    @Test("v12: the create event has no room_id and the room ID is its event ID with '!'")
    func v12RoomID() {
        let room = TestRoom(version: "12")
        #expect(room.createEvent.roomID == nil)
        #expect(room.roomID == "!CREATE")
        #expect(room.last.roomID == "!CREATE")
        #expect(!room.last.authEventIDs.contains(room.createEvent.eventID))
    }

    @Test("v1 rooms use event IDs with a server name")
    func v1IDs() {
        let room = TestRoom(version: "1")
        #expect(room.createEvent.eventID.description == "$CREATE:example.org")
        #expect(room.createEvent.json["event_id"] == "$CREATE:example.org")
    }

    @Test("forks share a parent, never an ID, and all events are visible from either")
    func forks() {
        var room = TestRoom(version: "11")
        room.join(User.bob)
        let parent = room.last.eventID
        var fork = room.fork()
        room.setPowerLevels(users: [User.alice: 100, User.bob: 50], by: User.alice)
        fork.ban(User.bob, by: User.alice)
        #expect(room.last.prevEventIDs == [parent] && fork.last.prevEventIDs == [parent])
        #expect(room.last.eventID != fork.last.eventID)
        #expect(room.allEvents.count == 7 && fork.allEvents.count == 7)
        #expect(room.state[StateKey(type: "m.room.member", stateKey: User.bob)] == room.event("$JOIN_bob_1")?.eventID)
        #expect(fork["m.room.member", User.bob]?.membership == "ban")
        var merged = room
        merged.merge(fork)
        let next = merged.message(from: User.alice)
        #expect(Set(next.prevEventIDs) == [room.last.eventID, fork.last.eventID])
        #expect(next.depth == 7)
    }

    @Test("a 10,000-member room builds")
    func largeRoom() {
        var room = TestRoom(version: "10")
        room.addMembers(10_000)
        #expect(room.state.count == 10_004)
        #expect(room.allEvents.count == 10_004)
    }
}
