import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

@Suite("Soft failure")
struct SoftFailTests {
    @Test("an event allowed by its auth events but not by the current state is soft-failed")
    func bannedOnAnotherBranch() {
        var room = TestRoom(version: "10")
        room.join(User.bob)
        var remote = room.fork()
        room.ban(User.bob, by: User.alice)               // our current state
        let late = remote.message("still here", from: User.bob)   // bob's server had not seen the ban
        #expect(room.authEventsRejection(of: late) == nil)
        #expect(AuthorizationRules.isSoftFailed(late, currentState: room.stateEvents, rules: room.rules))
        #expect(!AuthorizationRules.isSoftFailed(late, currentState: remote.stateEvents, rules: room.rules))
    }

    @Test("demoted on the current state: the power level change is soft-failed")
    func demoted() {
        var room = TestRoom(version: "11")
        room.setPowerLevels(users: [User.alice: 100, User.bob: 100], by: User.alice)
        room.join(User.bob)
        var remote = room.fork()
        room.setPowerLevels(users: [User.alice: 100, User.bob: 0], by: User.alice)
        let change = remote.send(type: "m.room.name", stateKey: "", content: ["name": "bob's"], sender: User.bob)
        #expect(room.authEventsRejection(of: change) == nil)
        #expect(AuthorizationRules.isSoftFailed(change, currentState: room.stateEvents, rules: room.rules))
    }
}
