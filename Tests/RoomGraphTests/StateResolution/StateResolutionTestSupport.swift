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

/// A small deterministic generator (SplitMix64), so a failing seed reproduces.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An authorizer that allows everything, for tests of the algorithm's plumbing.
struct AllowAllAuthorizer: StateResolutionAuthorizer {
    func authTypes(for event: PDU, rules: RoomVersionRules) -> [StateKey] {
        AuthorizationRules.authTypes(for: event, rules: rules)
    }

    func check(_ event: PDU, authState: [StateKey: PDU], rules: RoomVersionRules) throws {}
}
