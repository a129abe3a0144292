import MatrixCore
import MatrixEvents

/// The ``AuthorizationRules`` of this module as state resolution's authorizer.
public struct AuthorizationRulesAuthorizer: StateResolutionAuthorizer {
    public init() {}

    public func authTypes(for event: PDU, rules: RoomVersionRules) -> [StateKey] {
        AuthorizationRules.authTypes(for: event, rules: rules)
    }

    public func check(_ event: PDU, authState: [StateKey: PDU], rules: RoomVersionRules) throws {
        try AuthorizationRules.check(event, authState: authState, rules: rules)
    }
}

extension StateResolution {
    /// Resolves `states` with the authorization rules of ``AuthorizationRules``.
    ///
    /// See ``resolve(_:provider:rules:authorizer:rejected:)``.
    public static func resolve(
        _ states: [StateMap], provider: some EventProvider, rules: RoomVersionRules, rejected: Set<EventID> = []
    ) throws(StateResolutionError) -> StateMap {
        try resolve(states, provider: provider, rules: rules, authorizer: AuthorizationRulesAuthorizer(),
                    rejected: rejected)
    }

    /// Like ``resolve(_:provider:rules:rejected:)``, also reporting how large the problem was.
    public static func resolveWithStatistics(
        _ states: [StateMap], provider: some EventProvider, rules: RoomVersionRules, rejected: Set<EventID> = []
    ) throws(StateResolutionError) -> Resolution {
        try resolveWithStatistics(states, provider: provider, rules: rules,
                                  authorizer: AuthorizationRulesAuthorizer(), rejected: rejected)
    }
}
