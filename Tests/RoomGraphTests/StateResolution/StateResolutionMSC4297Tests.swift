import MatrixCore
import MatrixEvents
@testable import RoomGraph
import RoomGraphTesting
import Testing

/// MSC4297 (state resolution v2.1, room version 12), problem A: "conflicting events can be unauthorised
/// by the unconflicted state".
///
/// Alice makes the room invite-only and then leaves; Bob and Charlie each change their display name
/// concurrently. Charlie's server learnt the state through a partial synchronisation that handed it the
/// *outdated* public join rule, although every event on both forks cites the invite-only rule in its auth
/// chain. So the join rules are conflicted, while Alice's leave is unconflicted:
///
/// - v2.0 replays the conflicted join rules on top of the unconflicted state, where Alice has left, so
///   both fail the auth checks and the room is left with no join rules at all (a state reset);
/// - v2.1 replays them from an empty state, so each is checked against its own auth events (where
///   Alice is joined) and the invite-only rule survives.
///
/// The scenario follows the MSC's text and figures; the outcomes are those the MSC describes.
@Suite("State resolution v2.1 (MSC4297)")
struct StateResolutionMSC4297Tests {
    struct ProblemA {
        var room: TestRoom
        var stateAtBob: StateMap
        var stateAtCharlie: StateMap
        var publicRule: PDU
        var inviteRule: PDU
        var bobRename: PDU
        var charlieRename: PDU
        var aliceLeave: PDU

        init(version: RoomVersionID) {
            var room = TestRoom(version: version, creator: User.alice)   // … join rule "public"
            let publicRule = room["m.room.join_rules"]!
            room.join(User.bob)
            room.join(User.charlie)
            let inviteRule = room.setJoinRule("invite", by: User.alice)
            let aliceLeave = room.leave(User.alice)
            var fork = room.fork()
            let bobRename = room.join(User.bob, content: ["displayname": "bob++"])
            let charlieRename = fork.join(User.charlie, content: ["displayname": "charlie++"])
            // Both renames cite the invite-only rule in their auth events.
            precondition(bobRename.authEventIDs.contains(inviteRule.eventID))
            precondition(charlieRename.authEventIDs.contains(inviteRule.eventID))

            // Charlie's server holds outdated state: the public join rule.
            var stateAtCharlie = fork.state
            stateAtCharlie[TestRoom.slot("m.room.join_rules")] = publicRule.eventID
            room.merge(fork)
            self.room = room
            self.stateAtBob = room.state   // merge keeps this branch's (Bob's) state
            self.stateAtCharlie = stateAtCharlie
            self.publicRule = publicRule
            self.inviteRule = inviteRule
            self.bobRename = bobRename
            self.charlieRename = charlieRename
            self.aliceLeave = aliceLeave
        }

        func resolve(rules: RoomVersionRules? = nil, tweaks: StateResolutionV2Rules? = nil,
                     reversed: Bool = false) throws -> StateMap {
            let states = reversed ? [stateAtCharlie, stateAtBob] : [stateAtBob, stateAtCharlie]
            var resolver = StateResolverV2(provider: room.allEvents, rules: rules ?? room.rules,
                                           authorizer: AuthorizationRulesAuthorizer(), rejected: [],
                                           tweaks: tweaks)
            return try resolver.resolve(states).state
        }
    }

    static let joinRules = TestRoom.slot("m.room.join_rules")

    @Test("the scenario: join rules and both renamed members conflicted, Alice's leave unconflicted",
          arguments: ["11", "12"] as [RoomVersionID])
    func scenario(version: RoomVersionID) {
        let problem = ProblemA(version: version)
        let (unconflicted, conflicted) = StateResolverV2<[EventID: PDU], AuthorizationRulesAuthorizer>
            .split([problem.stateAtBob, problem.stateAtCharlie])
        #expect(Set(conflicted[Self.joinRules] ?? []) == [problem.publicRule.eventID, problem.inviteRule.eventID])
        #expect(conflicted[TestRoom.slot("m.room.member", User.bob)] != nil)
        #expect(conflicted[TestRoom.slot("m.room.member", User.charlie)] != nil)
        #expect(unconflicted[TestRoom.slot("m.room.member", User.alice)] == problem.aliceLeave.eventID)
    }

    @Test("room version 11 (v2.0): the join rules are reset; room version 12 (v2.1): invite-only survives")
    func v2_0ResetsJoinRulesButV2_1KeepsThem() throws {
        for reversed in [false, true] {
            let v11 = ProblemA(version: "11")
            let old = try v11.resolve(reversed: reversed)
            #expect(old[Self.joinRules] == nil, "v2.0 replays both join rules after Alice's leave: both fail")
            #expect(old[TestRoom.slot("m.room.member", User.alice)] == v11.aliceLeave.eventID)
            #expect(old[TestRoom.slot("m.room.member", User.bob)] == v11.bobRename.eventID)
            #expect(old[TestRoom.slot("m.room.member", User.charlie)] == v11.charlieRename.eventID)

            let v12 = ProblemA(version: "12")
            let new = try v12.resolve(reversed: reversed)
            #expect(new[Self.joinRules] == v12.inviteRule.eventID, "v2.1 checks them against their auth events")
            #expect(new[TestRoom.slot("m.room.member", User.alice)] == v12.aliceLeave.eventID)
            #expect(new[TestRoom.slot("m.room.member", User.bob)] == v12.bobRename.eventID)
            #expect(new[TestRoom.slot("m.room.member", User.charlie)] == v12.charlieRename.eventID)
        }
        // Through the public entry point too.
        let v12 = ProblemA(version: "12")
        let resolved = try StateResolution.resolve([v12.stateAtBob, v12.stateAtCharlie], provider: v12.room.allEvents,
                                                   rules: v12.room.rules)
        #expect(resolved[Self.joinRules] == v12.inviteRule.eventID)
        let v11 = ProblemA(version: "11")
        #expect(try StateResolution.resolve([v11.stateAtBob, v11.stateAtCharlie], provider: v11.room.allEvents,
                                            rules: v11.room.rules)[Self.joinRules] == nil)
    }

    @Test("it is modification 1 (begin with an empty state) that fixes problem A")
    func modificationOneFixesIt() throws {
        let problem = ProblemA(version: "12")
        // Room version 12 with state resolution v2.0: the reset comes back.
        let v12WithV2_0 = problem.room.rules.with { $0.stateResolution = .v2 }
        #expect(try problem.resolve(rules: v12WithV2_0)[Self.joinRules] == nil)
        // Only the conflicted state subgraph: not enough.
        let subgraphOnly = StateResolutionV2Rules(beginIterativeAuthChecksWithEmptyState: false,
                                                  considerConflictedStateSubgraph: true)
        #expect(try problem.resolve(tweaks: subgraphOnly)[Self.joinRules] == nil)
        // Only the empty starting state: enough.
        let emptyOnly = StateResolutionV2Rules(beginIterativeAuthChecksWithEmptyState: true,
                                               considerConflictedStateSubgraph: false)
        #expect(try problem.resolve(tweaks: emptyOnly)[Self.joinRules] == problem.inviteRule.eventID)
        // And v2.1 on room version 11's events gives the fixed outcome as well.
        let v11 = ProblemA(version: "11")
        #expect(try v11.resolve(tweaks: .v2_1)[Self.joinRules] == v11.inviteRule.eventID)
    }
}
