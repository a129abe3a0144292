import MatrixCore
import MatrixEvents
import RoomGraph

extension TestRoom {
    /// Checks `event` against this branch's current state (``AuthorizationRules/check(_:authState:rules:)``).
    public func authorize(_ event: PDU) throws(AuthorizationError) {
        try AuthorizationRules.check(event, authState: stateEvents, rules: rules)
    }

    /// The rule `event` breaks against this branch's current state, or `nil` if it is allowed.
    public func rejection(of event: PDU) -> AuthorizationError.Code? {
        do {
            try authorize(event)
            return nil
        } catch {
            return error.code
        }
    }

    /// The rule `event` breaks in ``AuthorizationRules/checkAuthEvents(_:provider:rules:)`` with
    /// every event of this room (and its forks) as the provider, or `nil`.
    public func authEventsRejection(of event: PDU, provider: [EventID: PDU]? = nil) -> AuthorizationError.Code? {
        do {
            try AuthorizationRules.checkAuthEvents(event, provider: provider ?? allEvents, rules: rules)
            return nil
        } catch {
            return error.code
        }
    }
}
