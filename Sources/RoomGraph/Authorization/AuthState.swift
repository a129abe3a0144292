import MatrixCore
import MatrixEvents

/// The state an event is checked against, with the power-level look-ups the rules need.
///
/// Levels are read as Synapse reads them (`int(value)`): integers, and before that check
/// also numeric strings, Booleans and floats; other values make the check fail.
struct AuthState {
    let state: [StateKey: PDU]
    let rules: RoomVersionRules
    let create: PDU
    let powerLevels: PDU?

    /// Power of room creators in v12+ rooms: above every integer level.
    static let creatorPower = Int64.max

    init(_ state: [StateKey: PDU], rules: RoomVersionRules, for event: PDU) throws(AuthorizationError) {
        guard let create = state[StateKey(type: EventType.create, stateKey: "")] else {
            throw AuthorizationError(.missingCreateEvent, "Event \(event.eventID) has no m.room.create event in its auth state")
        }
        self.state = state
        self.rules = rules
        self.create = create
        self.powerLevels = state[StateKey(type: EventType.powerLevels, stateKey: "")]
    }

    func member(_ user: String) -> PDU? { state[StateKey(type: EventType.member, stateKey: user)] }

    func membership(of user: String) -> String? { member(user)?.membership }

    /// The creator before v11: `content.creator`; from v11: the create event's sender.
    var creator: String? {
        rules.implicitRoomCreator ? create.sender.description : create.content["creator"]?.stringValue
    }

    /// v12+: the sender of the create event and its `additional_creators`.
    func isPrivilegedCreator(_ user: String) -> Bool {
        guard rules.privilegedRoomCreators else { return false }
        if create.sender.description == user { return true }
        return create.content[ContentField.additionalCreators]?.arrayValue?.contains(.string(user)) ?? false
    }

    /// The user's power level: infinite for v12 creators; `users[user]`, else `users_default`,
    /// else 0; without a power levels event, 100 for the creator and 0 for others.
    func userLevel(_ user: String) throws(AuthorizationError) -> Int64 {
        if isPrivilegedCreator(user) { return Self.creatorPower }
        guard let powerLevels else { return creator == user ? 100 : 0 }
        if let value = powerLevels.content["users"]?[user], !value.isNull {
            return try Self.level(value, field: "users[\(user)]")
        }
        if let value = powerLevels.content["users_default"], !value.isNull {
            return try Self.level(value, field: "users_default")
        }
        return 0
    }

    /// A top-level level such as `ban` or `invite`, or `fallback` without a power levels event or key.
    func namedLevel(_ name: String, default fallback: Int64) throws(AuthorizationError) -> Int64 {
        guard let value = powerLevels?.content[name], !value.isNull else { return fallback }
        return try Self.level(value, field: name)
    }

    /// The level needed to send `type`: `events[type]`, else `state_default` (50) for state
    /// events or `events_default` (0) for others.
    func sendLevel(type: String, isState: Bool) throws(AuthorizationError) -> Int64 {
        if let value = powerLevels?.content["events"]?[type], !value.isNull {
            return try Self.level(value, field: "events[\(type)]")
        }
        return isState ? try namedLevel("state_default", default: 50) : try namedLevel("events_default", default: 0)
    }

    /// Reads a level value, throwing ``AuthorizationError/Code/invalidPowerLevels`` if it is not one.
    static func level(_ value: JSONValue, field: String) throws(AuthorizationError) -> Int64 {
        guard let level = coercedLevel(value) else {
            throw AuthorizationError(.invalidPowerLevels, "Power level \(field) is not an integer: \(value)")
        }
        return level
    }

    /// Python's `int(value)` for the values JSON can hold: integers, Booleans, finite floats
    /// (truncated) and strings of an optionally signed decimal integer, as `int()` reads them:
    /// surrounding Unicode whitespace, any Unicode decimal digits (`Nd`), single underscores
    /// between digits.
    static func coercedLevel(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let integer): return integer
        case .bool(let bool): return bool ? 1 : 0
        case .float(let double):
            guard double.isFinite, let integer = Int64(exactly: double.rounded(.towardZero)) else { return nil }
            return integer
        case .string(let text):
            return pythonInt(text)
        default:
            return nil
        }
    }

    /// `int(text)` in Python 3, or `nil` where it raises (or the result does not fit in 64 bits).
    private static func pythonInt(_ text: String) -> Int64? {
        // str.isspace(): White_Space, plus the information separators U+001C–U+001F.
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
        }
        var scalars = Array(text.unicodeScalars)[...]
        while let first = scalars.first, isSpace(first) { scalars.removeFirst() }
        while let last = scalars.last, isSpace(last) { scalars.removeLast() }
        var negative = false
        if let sign = scalars.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            scalars.removeFirst()
        }
        var magnitude: Int64 = 0
        var sawDigit = false
        var previousWasUnderscore = false
        for scalar in scalars {
            if scalar == "_" {
                guard sawDigit, !previousWasUnderscore else { return nil }
                previousWasUnderscore = true
                continue
            }
            guard scalar.properties.numericType == .decimal, let digit = scalar.properties.numericValue else {
                return nil
            }
            let (product, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflowedAgain) = product.addingReportingOverflow(Int64(digit))
            guard !overflowed, !overflowedAgain else { return nil }
            magnitude = sum
            sawDigit = true
            previousWasUnderscore = false
        }
        guard sawDigit, !previousWasUnderscore else { return nil }
        return negative ? -magnitude : magnitude
    }
}

/// The domain of a user, room or event ID: everything after the first `:` (Synapse's
/// `get_domain_from_id`), or `nil` when there is none.
func domain(of id: String) -> Substring? {
    guard let colon = id.firstIndex(of: ":") else { return nil }
    return id[id.index(after: colon)...]
}
