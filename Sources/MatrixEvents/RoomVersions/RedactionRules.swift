/// What the redaction algorithm keeps, per room version.
///
/// https://spec.matrix.org/v1.16/rooms/v11/#redactions (and the earlier versions' pages).
public struct RedactionRules: Sendable, Equatable {
    /// Top-level keys kept besides `content` (which is always kept, filtered).
    public var topLevelKeys: Set<String>
    /// Content keys kept, by event type. Types not listed keep an empty `content`.
    public var contentKeys: [String: Set<String>]
    /// v11+: `m.room.create` keeps its whole `content`.
    public var keepsAllCreateContent: Bool
    /// v11+: `m.room.member` keeps `content.third_party_invite.signed`.
    public var keepsThirdPartyInviteSigned: Bool

    public func with(_ change: (inout RedactionRules) -> Void) -> RedactionRules {
        var copy = self
        change(&copy)
        return copy
    }

    /// Room versions 1 to 5.
    public static let v1 = RedactionRules(
        topLevelKeys: [
            "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
            "prev_events", "auth_events", "origin_server_ts",
            // Dropped in v11:
            "prev_state", "membership", "origin",
        ],
        contentKeys: [
            "m.room.member": ["membership"],
            "m.room.create": ["creator"],
            "m.room.join_rules": ["join_rule"],
            "m.room.power_levels": [
                "ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default",
            ],
            "m.room.aliases": ["aliases"],
            "m.room.history_visibility": ["history_visibility"],
        ],
        keepsAllCreateContent: false,
        keepsThirdPartyInviteSigned: false
    )

    /// Room versions 6 and 7: `m.room.aliases` loses its special case.
    public static let v6 = v1.with { $0.contentKeys["m.room.aliases"] = nil }

    /// Room version 8: restricted joins keep `allow`.
    public static let v8 = v6.with { $0.contentKeys["m.room.join_rules"]?.insert("allow") }

    /// Room versions 9 and 10: joins keep `join_authorised_via_users_server`.
    public static let v9 = v8.with { $0.contentKeys["m.room.member"]?.insert("join_authorised_via_users_server") }

    /// Room version 11 and later (MSC2176, MSC3821, MSC3989).
    public static let v11 = v9.with {
        $0.topLevelKeys.subtract(["prev_state", "membership", "origin"])
        $0.contentKeys["m.room.power_levels"]?.insert("invite")
        $0.contentKeys["m.room.redaction"] = ["redacts"]
        $0.keepsAllCreateContent = true
        $0.keepsThirdPartyInviteSigned = true
    }
}
