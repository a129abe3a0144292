import MatrixCore
import MatrixEvents

extension AuthorizationRules {
    /// Whether a local user's redaction may take effect on `target`: the target's own sender may
    /// redact it, and so may anyone at or above the room's `redact` power level.
    ///
    /// From room v3 the auth rules no longer check redactions (event IDs carry no domain); the
    /// spec leaves the check to the server applying the redaction, and Synapse refuses a local
    /// client's redaction of another user's event below the `redact` level. `authState` is the
    /// state the redaction was authorised against (it must hold the create and power levels events).
    public static func mayRedact(_ target: PDU, by redaction: PDU, authState: [StateKey: PDU], rules: RoomVersionRules) -> Bool {
        if target.sender == redaction.sender { return true }
        guard let state = try? AuthState(authState, rules: rules, for: redaction),
              let level = try? state.userLevel(redaction.sender.description),
              let redactLevel = try? state.namedLevel("redact", default: 50)
        else { return false }
        return level >= redactLevel
    }
}
