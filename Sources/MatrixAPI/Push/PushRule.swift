import MatrixCore

/// The kinds of push rules, in the order a server checks them.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#push-rules
public enum PushRuleKind: String, Sendable, CaseIterable {
    case override, content, room, sender, underride
}

/// What a matching rule does with an event.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#actions
public enum PushAction: Sendable, Equatable {
    case notify
    /// Sets a tweak of the notification; `value` absent means the tweak's default (`true` for `highlight`).
    case setTweak(String, value: JSONValue?)

    /// `{"set_tweak": "sound", "value": sound}`.
    public static func sound(_ sound: String) -> PushAction { .setTweak("sound", value: .string(sound)) }
    /// `{"set_tweak": "highlight"}`.
    public static let highlight = PushAction.setTweak("highlight", value: nil)

    /// The action as the client API shows it: a string, or an object for actions with parameters.
    public var json: JSONValue {
        switch self {
        case .notify:
            return "notify"
        case .setTweak(let tweak, let value):
            var object: JSONObject = ["set_tweak": .string(tweak)]
            if let value { object["value"] = value }
            return .object(object)
        }
    }
}

/// A condition of an `override` or `underride` rule.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#conditions-1
public enum PushCondition: Sendable, Equatable {
    /// A glob match on the property at a dot-separated path.
    case eventMatch(key: String, pattern: String)
    /// An exact match of a scalar property.
    case eventPropertyIs(key: String, value: JSONValue)
    /// An array property contains the value.
    case eventPropertyContains(key: String, value: JSONValue)
    /// `content.body` contains the user's display name in the room.
    case containsDisplayName
    /// The room's member count compares to `is` (e.g. `"2"`, `">=10"`).
    case roomMemberCount(is: String)
    /// The sender has the power level the room's `notifications` object requires for `key`.
    case senderNotificationPermission(key: String)

    /// The condition as the client API shows it.
    public var json: JSONObject {
        switch self {
        case .eventMatch(let key, let pattern):
            ["kind": "event_match", "key": .string(key), "pattern": .string(pattern)]
        case .eventPropertyIs(let key, let value):
            ["kind": "event_property_is", "key": .string(key), "value": value]
        case .eventPropertyContains(let key, let value):
            ["kind": "event_property_contains", "key": .string(key), "value": value]
        case .containsDisplayName:
            ["kind": "contains_display_name"]
        case .roomMemberCount(let count):
            ["kind": "room_member_count", "is": .string(count)]
        case .senderNotificationPermission(let key):
            ["kind": "sender_notification_permission", "key": .string(key)]
        }
    }
}

/// One push rule.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#push-rules
public struct PushRule: Sendable, Equatable {
    /// Unique within its kind; server-default rules start with a dot.
    public var ruleID: String
    /// Whether this is a server-default rule.
    public var isDefault: Bool
    public var enabled: Bool
    /// The conditions of `override` and `underride` rules; `nil` for the other kinds.
    public var conditions: [PushCondition]?
    /// The glob pattern of `content` rules; `nil` for the other kinds.
    public var pattern: String?
    public var actions: [PushAction]

    public init(
        ruleID: String, isDefault: Bool, enabled: Bool = true, conditions: [PushCondition]? = nil,
        pattern: String? = nil, actions: [PushAction]
    ) {
        self.ruleID = ruleID
        self.isDefault = isDefault
        self.enabled = enabled
        self.conditions = conditions
        self.pattern = pattern
        self.actions = actions
    }

    /// The rule as the client API shows it.
    public var json: JSONObject {
        var object: JSONObject = [
            "rule_id": .string(ruleID), "default": .bool(isDefault), "enabled": .bool(enabled),
            "actions": .array(actions.map(\.json)),
        ]
        if let conditions { object["conditions"] = .array(conditions.map { .object($0.json) }) }
        if let pattern { object["pattern"] = .string(pattern) }
        return object
    }
}

/// A user's rules of every kind, each list in priority order.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#push-rules
public struct PushRuleset: Sendable, Equatable {
    public var rules: [PushRuleKind: [PushRule]]

    public init(rules: [PushRuleKind: [PushRule]]) {
        self.rules = rules
    }

    /// The rules of one kind, highest priority first.
    public subscript(kind: PushRuleKind) -> [PushRule] {
        rules[kind] ?? []
    }

    /// The rule of a kind with the given ID.
    public func rule(_ kind: PushRuleKind, id: String) -> PushRule? {
        self[kind].first { $0.ruleID == id }
    }

    /// The ruleset as the client API shows it: one array per kind.
    public var json: JSONObject {
        var object = JSONObject()
        for kind in PushRuleKind.allCases {
            object[kind.rawValue] = .array(self[kind].map { .object($0.json) })
        }
        return object
    }
}
