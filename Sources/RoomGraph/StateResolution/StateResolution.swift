import MatrixCore
import MatrixEvents

/// Resolves forks in a room's state: given the states at several forward extremities, computes the
/// one state the room has after them.
///
/// - Room version 1 uses the original algorithm: https://spec.matrix.org/v1.16/rooms/v1/#state-resolution
/// - Room versions 2 and later use version 2: https://spec.matrix.org/v1.16/rooms/v2/#state-resolution,
///   with the room version 12 tweaks of MSC4297 (``StateResolutionV2Rules``).
///
/// The algorithms are pure and synchronous. The caller loads every event they may read into the
/// ``EventProvider`` first: the events of the states and their auth chains. Events the provider lacks
/// are treated as unknown (a conflicted event that is unknown takes no part in resolution).
///
/// ```swift
/// let state = try StateResolution.resolve([stateA, stateB], provider: events, rules: .v12,
///                                         authorizer: checker)
/// ```
public enum StateResolution {
    /// Resolves `states` by the algorithm of `rules.stateResolution`.
    ///
    /// - Parameters:
    ///   - states: the states to resolve, one per fork. Their order does not matter.
    ///   - provider: every event referenced by the states and their auth chains.
    ///   - rules: the room version's rules.
    ///   - authorizer: the state-dependent authorization check and the auth types of an event.
    ///   - rejected: events previously rejected by the auth rules; they never enter the resolved
    ///     state and are not used as auth events.
    public static func resolve(
        _ states: [StateMap],
        provider: some EventProvider,
        rules: RoomVersionRules,
        authorizer: some StateResolutionAuthorizer,
        rejected: Set<EventID> = []
    ) throws(StateResolutionError) -> StateMap {
        try resolveWithStatistics(states, provider: provider, rules: rules, authorizer: authorizer,
                                  rejected: rejected).state
    }

    /// Like ``resolve(_:provider:rules:authorizer:rejected:)``, also reporting how large the problem was.
    public static func resolveWithStatistics(
        _ states: [StateMap],
        provider: some EventProvider,
        rules: RoomVersionRules,
        authorizer: some StateResolutionAuthorizer,
        rejected: Set<EventID> = []
    ) throws(StateResolutionError) -> Resolution {
        switch rules.stateResolution {
        case .v1:
            var resolver = StateResolverV1(provider: provider, rules: rules, authorizer: authorizer,
                                           rejected: rejected)
            return resolver.resolve(states)
        case .v2, .v2_1:
            var resolver = StateResolverV2(provider: provider, rules: rules, authorizer: authorizer,
                                           rejected: rejected)
            return try resolver.resolve(states)
        }
    }

    /// A resolved state and the sizes of the sets that produced it.
    public struct Resolution: Sendable {
        /// The resolved state.
        public var state: StateMap
        /// Entries of the unconflicted state map.
        public var unconflictedCount: Int
        /// Events in the conflicted state set.
        public var conflictedCount: Int
        /// Events in the auth difference (v2 only; 0 for v1).
        public var authDifferenceCount: Int
        /// Events in the conflicted state subgraph (room version 12+; 0 otherwise).
        public var conflictedSubgraphCount: Int
        /// Events in the full conflicted set (v2 only; for v1, the conflicted events the provider knows).
        public var fullConflictedCount: Int
        /// Power events sorted by reverse topological power ordering, auth ancestry included (v2 only).
        public var powerEventCount: Int
    }
}

/// The authorization rules as state resolution needs them.
///
/// Resolution is written against this protocol so it does not depend on how the authorization rules
/// are implemented; ``AuthorizationRulesAuthorizer`` adapts the ``AuthorizationRules`` of this module.
public protocol StateResolutionAuthorizer {
    /// The state slots whose events authorise `event` (the spec's "auth types for an event").
    func authTypes(for event: PDU, rules: RoomVersionRules) -> [StateKey]

    /// Checks `event` against `authState`, the state the auth rules read (create event, power levels,
    /// memberships, join rules, third-party invites). Throws if the event is not allowed.
    func check(_ event: PDU, authState: [StateKey: PDU], rules: RoomVersionRules) throws
}

/// Why state resolution could not produce a state.
public enum StateResolutionError: Error, Equatable, Sendable {
    /// The auth events among the events being sorted form a cycle (the graph is not a DAG).
    case authEventCycle([EventID])
    /// An event the algorithm needs (such as the resolved power levels event) is unknown to the provider.
    case missingEvent(EventID)
}

/// The tweaks to state resolution v2 made by later room versions.
///
/// Room version 12 (MSC4297, "state resolution v2.1") begins the first iterative auth checks from an
/// empty state instead of the unconflicted state, and adds the conflicted state subgraph (every event
/// on an auth path between two conflicted state events) to the full conflicted set.
public struct StateResolutionV2Rules: Sendable, Equatable {
    /// Begin the iterative auth checks of the power events with an empty state map.
    public var beginIterativeAuthChecksWithEmptyState: Bool
    /// Add the conflicted state subgraph to the full conflicted set.
    public var considerConflictedStateSubgraph: Bool

    /// Room versions 2 to 11.
    public static let v2_0 = StateResolutionV2Rules(
        beginIterativeAuthChecksWithEmptyState: false, considerConflictedStateSubgraph: false)
    /// Room version 12 and later (MSC4297).
    public static let v2_1 = StateResolutionV2Rules(
        beginIterativeAuthChecksWithEmptyState: true, considerConflictedStateSubgraph: true)
}

extension RoomVersionRules {
    /// The tweaks of state resolution v2 the version uses: v2.1 for room version 12 and its unstable
    /// predecessor `org.matrix.hydra.11`, as Synapse's `StateResolutionVersions.V2_1`.
    public var stateResolutionV2: StateResolutionV2Rules {
        stateResolution == .v2_1 ? .v2_1 : .v2_0
    }
}
