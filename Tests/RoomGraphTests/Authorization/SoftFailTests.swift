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
        room.join(AuthUsers.bob)
        var remote = room.fork()
        room.ban(AuthUsers.bob, by: AuthUsers.alice)               // our current state
        let late = remote.message("still here", from: AuthUsers.bob)   // bob's server had not seen the ban
        #expect(room.authEventsRejection(of: late) == nil)
        #expect(AuthorizationRules.isSoftFailed(late, currentState: room.stateEvents, rules: room.rules))
        #expect(!AuthorizationRules.isSoftFailed(late, currentState: remote.stateEvents, rules: room.rules))
    }

    @Test("demoted on the current state: the power level change is soft-failed")
    func demoted() {
        var room = TestRoom(version: "11")
        room.setPowerLevels(users: [AuthUsers.alice: 100, AuthUsers.bob: 100], by: AuthUsers.alice)
        room.join(AuthUsers.bob)
        var remote = room.fork()
        room.setPowerLevels(users: [AuthUsers.alice: 100, AuthUsers.bob: 0], by: AuthUsers.alice)
        let change = remote.send(type: "m.room.name", stateKey: "", content: ["name": "bob's"], sender: AuthUsers.bob)
        #expect(room.authEventsRejection(of: change) == nil)
        #expect(AuthorizationRules.isSoftFailed(change, currentState: room.stateEvents, rules: room.rules))
    }
}
