import MatrixCore
import MatrixEvents

extension AuthorizationRules {
    /// Checks `event` against the state-dependent authorization rules, given `authState` (the
    /// event filling each relevant slot: its auth events, the state before it, or the partial
    /// state of state resolution's iterative auth checks).
    ///
    /// Follows Synapse's `check_state_dependent_auth_rules`: `m.room.create` always passes here
    /// (its rules are state-independent, see ``checkAuthEvents(_:provider:rules:)``); then
    /// `m.federate`, `m.room.aliases` (v1–v5), membership, the sender's own membership, third-party
    /// invite tokens, send levels and state-key ownership, power level changes and (v1, v2)
    /// redactions.
    public static func check(_ event: PDU, authState: [StateKey: PDU], rules: RoomVersionRules)
        throws(AuthorizationError) {
        if event.type == EventType.create { return }
        let state = try AuthState(authState, rules: rules, for: event)

        if domain(of: state.create.sender.description) != domain(of: event.sender.description), !isFederatable(state) {
            throw AuthorizationError(.roomNotFederatable, "This room has been marked as unfederatable.")
        }

        if event.type == EventType.aliases, rules.specialCaseAliasesAuth {
            try checkAliases(event)
            return
        }

        if event.type == EventType.member {
            try checkMembership(event, state: state)
            return
        }

        try requireJoined(event.sender.description, event: event, state: state, code: .senderNotJoined)

        if event.type == EventType.thirdPartyInvite {
            let userLevel = try state.userLevel(event.sender.description)
            let inviteLevel = try state.namedLevel("invite", default: 0)
            guard userLevel >= inviteLevel else {
                throw AuthorizationError(.insufficientPowerToInvite, "You don't have permission to invite users")
            }
            return
        }

        try checkSendLevel(event, state: state)

        if event.type == EventType.powerLevels {
            try checkPowerLevels(event, state: state)
        }
        if event.type == EventType.redaction {
            try checkRedaction(event, state: state)
        }
    }

    /// `m.federate` is absent or exactly `true`.
    static func isFederatable(_ state: AuthState) -> Bool {
        guard let federate = state.create.content["m.federate"] else { return true }
        return federate == .bool(true)
    }

    /// v1–v5: an `m.room.aliases` event is allowed iff its state key is the sender's domain.
    private static func checkAliases(_ event: PDU) throws(AuthorizationError) {
        guard let stateKey = event.stateKey else {
            throw AuthorizationError(.invalidAliasesEvent, "Alias event must be a state event")
        }
        guard !stateKey.isEmpty else {
            throw AuthorizationError(.invalidAliasesEvent, "Alias event must have non-empty state_key")
        }
        guard stateKey == event.sender.serverName.description else {
            throw AuthorizationError(.invalidAliasesEvent, "Alias event's state_key does not match sender's domain")
        }
    }

    static func requireJoined(
        _ user: String, event: PDU, state: AuthState, code: AuthorizationError.Code
    ) throws(AuthorizationError) {
        guard state.membership(of: user) == Membership.join else {
            let current = state.membership(of: user).map { "membership \($0)" } ?? "no membership"
            throw AuthorizationError(code, "User \(user) not in room \(event.roomID ?? "?") (\(current))")
        }
    }

    /// The sender's level must reach the type's send level; a state key starting with `@` must be
    /// the sender's own (MSC3757 rooms: or start with the sender's ID and `_`, or belong to a
    /// user of lower power).
    private static func checkSendLevel(_ event: PDU, state: AuthState) throws(AuthorizationError) {
        let userLevel = try state.userLevel(event.sender.description)
        let sendLevel = try state.sendLevel(type: event.type, isState: event.isState)
        guard userLevel >= sendLevel else {
            throw AuthorizationError(
                .insufficientPowerToSend,
                "You don't have permission to post that to the room. user_level (\(userLevel)) < send_level (\(sendLevel))"
            )
        }
        guard let stateKey = event.stateKey, stateKey.hasPrefix("@"), stateKey != event.sender.description else {
            return
        }
        if state.rules.ownedStateKeys {
            guard let owner = ownerOfStateKey(stateKey) else {
                throw AuthorizationError(
                    .notStateKeyOwner, "State key neither equals a valid user ID, nor starts with one plus an underscore"
                )
            }
            if owner == event.sender.description { return }
            if userLevel > (try state.userLevel(owner)) { return }
        }
        throw AuthorizationError(.notStateKeyOwner, "You are not allowed to set others state")
    }

    /// MSC3757: the user ID a state key starts with (up to the first `_` after the server name's `:`).
    static func ownerOfStateKey(_ stateKey: String) -> String? {
        guard let colon = stateKey.dropFirst().firstIndex(of: ":") else { return nil }
        let rest = stateKey[stateKey.index(after: colon)...]
        let candidate = rest.firstIndex(of: "_").map { String(stateKey[..<$0]) } ?? stateKey
        return UserID(candidate) == nil ? nil : candidate
    }

    /// v1, v2: a redaction by a sender below the `redact` level must come from the domain of the
    /// event it redacts. From v3 event IDs carry no domain and the check moves to serving time.
    private static func checkRedaction(_ event: PDU, state: AuthState) throws(AuthorizationError) {
        guard state.rules.eventIDFormat == .explicit else { return }
        let userLevel = try state.userLevel(event.sender.description)
        let redactLevel = try state.namedLevel("redact", default: 50)
        if userLevel >= redactLevel { return }
        // Synapse's `EventBase.redacts`: the top-level `redacts` before v11, `content.redacts` from
        // v11, with no fallback to the other place; a redaction naming none passes here.
        let redacts = state.rules.redactsInContent ? event.content["redacts"] : event.json["redacts"]
        guard let target = redacts?.stringValue else { return }
        if let ownDomain = domain(of: event.eventID.description), ownDomain == domain(of: target) { return }
        throw AuthorizationError(.insufficientPowerToRedact, "You don't have permission to redact events")
    }
}
