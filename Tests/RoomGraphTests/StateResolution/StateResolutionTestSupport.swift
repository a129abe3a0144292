import MatrixCore
import MatrixEvents
@testable import RoomGraph
import RoomGraphTesting

extension TestRoom {
    /// Resolves the current states of `branches` (this room's first) with every event they built.
    func resolved(with branches: TestRoom..., rejected: Set<EventID> = []) throws -> [StateKey: PDU] {
        let states = [state] + branches.map(\.state)
        let events = allEvents
        let resolved = try StateResolution.resolve(states, provider: events, rules: rules, rejected: rejected)
        return resolved.mapValues { events[$0]! }
    }

    /// The event resolved into a slot, for readable expectations.
    static func slot(_ type: String, _ stateKey: String = "") -> StateKey {
        StateKey(type: type, stateKey: stateKey)
    }
}

extension [StateKey: PDU] {
    subscript(type: String, stateKey: String = "") -> PDU? { self[StateKey(type: type, stateKey: stateKey)] }

    /// The membership resolved for `user`.
    func membership(of user: String) -> String? {
        self["m.room.member", user]?.content["membership"]?.stringValue
    }
}

/// An authorizer that allows everything, for tests of the algorithm's plumbing.
struct AllowAllAuthorizer: StateResolutionAuthorizer {
    func authTypes(for event: PDU, rules: RoomVersionRules) -> [StateKey] {
        AuthorizationRules.authTypes(for: event, rules: rules)
    }

    func check(_ event: PDU, authState: [StateKey: PDU], rules: RoomVersionRules) throws {}
}
