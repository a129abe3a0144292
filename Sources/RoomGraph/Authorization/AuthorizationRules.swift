import MatrixCore
import MatrixEvents

/// The Matrix authorization rules, for every room version Trellis knows.
///
/// https://spec.matrix.org/v1.16/rooms/ (each version's "Authorization rules" section).
/// Version differences come from ``RoomVersionRules`` flags, never from version strings.
///
/// - ``authTypes(forEventOfType:stateKey:sender:content:rules:)``: which state an event's
///   `auth_events` must be chosen from.
/// - ``checkAuthEvents(_:provider:rules:)``: the state-independent checks (the auth events list,
///   create events, sizes), then ``check(_:authState:rules:)`` against the auth events.
/// - ``check(_:authState:rules:)``: the state-dependent rules against any state (iterative auth
///   checks of state resolution, checks against the state before the event).
/// - ``isSoftFailed(_:currentState:rules:)``: an event that passed its auth events but fails
///   against the room's current state.
public enum AuthorizationRules {
    /// The largest PDU, in bytes of canonical JSON.
    public static let maximumEventSize = 65_536
    /// The largest `sender`, `room_id`, `state_key`, `type` and `event_id`, in bytes of UTF-8.
    public static let maximumFieldLength = 255

    /// The state slots an event's `auth_events` are selected from (`auth_types_for_event`).
    ///
    /// https://spec.matrix.org/v1.16/server-server-api/#auth-events-selection. The create
    /// event (omitted from v12 on, where the room ID names it), the power levels, the
    /// sender's membership; for memberships also the target's, the join rules (join, invite,
    /// knock), the third-party invite named by the token (invite) and the authorising user's
    /// membership (restricted joins, v8+). No duplicates; `m.room.create` itself has none.
    public static func authTypes(
        forEventOfType type: String, stateKey: String?, sender: UserID, content: JSONObject, rules: RoomVersionRules
    ) -> [StateKey] {
        if type == EventType.create { return [] }
        var slots: [StateKey] = []
        func add(_ slot: StateKey) { if !slots.contains(slot) { slots.append(slot) } }
        if !rules.roomIDFromCreateEvent { add(StateKey(type: EventType.create, stateKey: "")) }
        add(StateKey(type: EventType.powerLevels, stateKey: ""))
        add(StateKey(type: EventType.member, stateKey: sender.description))
        guard type == EventType.member, let stateKey else { return slots }
        let membership = content["membership"]?.stringValue
        if membership == Membership.join || membership == Membership.invite || membership == Membership.knock {
            add(StateKey(type: EventType.joinRules, stateKey: ""))
        }
        add(StateKey(type: EventType.member, stateKey: stateKey))
        if membership == Membership.invite, let token = content["third_party_invite"]?["signed"]?["token"]?.stringValue {
            add(StateKey(type: EventType.thirdPartyInvite, stateKey: token))
        }
        if rules.restrictedJoinRule, membership == Membership.join,
           let authoriser = content[ContentField.authorisingUser]?.stringValue {
            add(StateKey(type: EventType.member, stateKey: authoriser))
        }
        return slots
    }

    /// ``authTypes(forEventOfType:stateKey:sender:content:rules:)`` for an existing event.
    public static func authTypes(for event: PDU, rules: RoomVersionRules) -> [StateKey] {
        authTypes(forEventOfType: event.type, stateKey: event.stateKey, sender: event.sender, content: event.content,
                  rules: rules)
    }

    /// Whether an event that passed its own auth events fails against the room's current state,
    /// and so must be stored but not served or used as a forward extremity.
    ///
    /// https://spec.matrix.org/v1.16/server-server-api/#soft-failure
    public static func isSoftFailed(_ event: PDU, currentState: [StateKey: PDU], rules: RoomVersionRules) -> Bool {
        do {
            try check(event, authState: currentState, rules: rules)
            return false
        } catch {
            return true
        }
    }
}

enum ContentField {
    static let authorisingUser = "join_authorised_via_users_server"
    static let additionalCreators = "additional_creators"
}
