import MatrixCore
import MatrixEvents

/// An ``EventProvider`` that also knows which events were rejected, so that
/// ``AuthorizationRules/checkAuthEvents(_:provider:rules:)`` refuses rejected auth events.
public protocol RejectionAwareEventProvider: EventProvider {
    func isRejected(_ id: EventID) -> Bool
}

extension AuthorizationRules {
    /// Checks an event against the rules that need no room state, then against the state its
    /// own `auth_events` form (``check(_:authState:rules:)``).
    ///
    /// - Size: at most ``maximumEventSize`` bytes of canonical JSON; `sender`, `room_id`,
    ///   `state_key`, `type` and the event ID at most ``maximumFieldLength`` bytes.
    /// - `m.room.create`: no `prev_events`; v12+ no `room_id`, earlier the `room_id`'s domain is
    ///   the sender's; a known `room_version`; before v11 a `creator`; v12 `additional_creators`
    ///   valid user IDs. Nothing else is checked for it.
    /// - `auth_events`: each known to `provider`, in the same room, not rejected (when the
    ///   provider is a ``RejectionAwareEventProvider``), no two for one slot, each of a slot
    ///   ``authTypes(for:rules:)`` selects; before v12 the create event among them, from v12 not
    ///   among them but named by the room ID (`!x` ↔ `$x`) and known.
    public static func checkAuthEvents(
        _ event: PDU, provider: some EventProvider, rules: RoomVersionRules
    ) throws(AuthorizationError) {
        try checkSizeLimits(event)
        if event.type == EventType.create {
            try checkCreate(event, rules: rules)
            return
        }
        guard let roomID = event.roomID else {
            throw AuthorizationError(.missingRoomID, "Event \(event.eventID) has no room_id")
        }
        let rejections = provider as? any RejectionAwareEventProvider
        let expected = Set(authTypes(for: event, rules: rules))
        var authState: [StateKey: PDU] = [:]
        for id in event.authEventIDs {
            guard let authEvent = provider.event(id) else {
                throw AuthorizationError(.unknownAuthEvent, "Event \(event.eventID) has unknown auth event \(id)")
            }
            if rules.roomIDFromCreateEvent, authEvent.type == EventType.create {
                throw AuthorizationError(.createEventInAuthEvents,
                                         "Event \(event.eventID) lists the create event \(id) in auth_events")
            }
            guard authEvent.roomID == roomID else {
                throw AuthorizationError(
                    .authEventInOtherRoom,
                    "During auth for event \(event.eventID) in room \(roomID), found event \(id) in the state which is in room \(authEvent.roomID ?? "?")"
                )
            }
            guard let slot = authEvent.stateSlot else {
                throw AuthorizationError(.unexpectedAuthEvent,
                                         "Event \(event.eventID) has unexpected non-state auth_event \(id)")
            }
            if let other = authState[slot] {
                throw AuthorizationError(.duplicateAuthEvent,
                                         "Event \(event.eventID) has duplicate auth_events for \(slot): \(other.eventID) and \(id)")
            }
            guard expected.contains(slot) else {
                throw AuthorizationError(.unexpectedAuthEvent, "Event \(event.eventID) has unexpected auth_event for \(slot): \(id)")
            }
            if rejections?.isRejected(id) == true {
                throw AuthorizationError(.rejectedAuthEvent,
                                         "During auth for event \(event.eventID): found rejected event \(id) in the state")
            }
            authState[slot] = authEvent
        }

        let createSlot = StateKey(type: EventType.create, stateKey: "")
        if rules.roomIDFromCreateEvent {
            guard roomID.hasPrefix("!"), let createID = EventID("$" + roomID.dropFirst()),
                  let create = provider.event(createID), create.type == EventType.create, create.stateKey == "",
                  rejections?.isRejected(createID) != true
            else {
                throw AuthorizationError(.missingCreateEvent,
                                         "Room \(roomID) of event \(event.eventID) does not name an accepted create event")
            }
            authState[createSlot] = create
        } else if authState[createSlot] == nil {
            throw AuthorizationError(.missingCreateEvent, "No create event in auth events of \(event.eventID)")
        }

        try check(event, authState: authState, rules: rules)
    }

    static func checkSizeLimits(_ event: PDU) throws(AuthorizationError) {
        let size = (try? event.json.canonicalJSONBytes(strict: false).count) ?? Int.max
        guard size <= maximumEventSize else {
            throw AuthorizationError(.eventTooLarge, "Event \(event.eventID) is \(size) bytes, over \(maximumEventSize)")
        }
        let fields: [(String, String?)] = [
            ("sender", event.sender.description), ("room_id", event.roomID), ("state_key", event.stateKey),
            ("type", event.type), ("event_id", event.eventID.description),
        ]
        for case let (name, value?) in fields where value.utf8.count > maximumFieldLength {
            throw AuthorizationError(.fieldTooLong, "'\(name)' of event \(event.eventID) is over \(maximumFieldLength) bytes")
        }
    }

    static func checkCreate(_ event: PDU, rules: RoomVersionRules) throws(AuthorizationError) {
        guard event.prevEventIDs.isEmpty else {
            throw AuthorizationError(.createHasPrevEvents, "Create event has prev events")
        }
        if rules.roomIDFromCreateEvent {
            guard !event.json.contains(key: "room_id") else {
                throw AuthorizationError(.createHasRoomID, "Create event has a room_id")
            }
        } else {
            guard let roomID = event.roomID else {
                throw AuthorizationError(.missingRoomID, "Create event has no room_id")
            }
            guard domain(of: roomID) == domain(of: event.sender.description) else {
                throw AuthorizationError(.createRoomIDDomainMismatch, "Creation event's room_id domain does not match sender's")
            }
        }
        let version = event.content["room_version"] ?? "1"
        guard let name = version.stringValue, RoomVersionRules.rules(for: RoomVersionID(name)) != nil else {
            throw AuthorizationError(.unsupportedRoomVersion, "room appears to have unsupported version \(version)")
        }
        if !rules.implicitRoomCreator, !event.content.contains(key: "creator") {
            throw AuthorizationError(.createMissingCreator, "Create event lacks a 'creator' property")
        }
        if rules.privilegedRoomCreators, let additional = event.content[ContentField.additionalCreators] {
            guard let entries = additional.arrayValue else {
                throw AuthorizationError(.invalidAdditionalCreators, "additional_creators must be an array")
            }
            for entry in entries {
                guard let text = entry.stringValue, text.utf8.count <= maximumFieldLength, UserID(text) != nil else {
                    throw AuthorizationError(.invalidAdditionalCreators,
                                             "entry \(entry) in additional_creators is not a valid user ID")
                }
            }
        }
    }
}
