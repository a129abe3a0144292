/// Event types of the room events the server itself reads or writes.
///
/// https://spec.matrix.org/v1.16/client-server-api/#room-events
public enum EventType {
    public static let create = "m.room.create"
    public static let member = "m.room.member"
    public static let powerLevels = "m.room.power_levels"
    public static let joinRules = "m.room.join_rules"
    public static let thirdPartyInvite = "m.room.third_party_invite"
    public static let aliases = "m.room.aliases"
    public static let redaction = "m.room.redaction"
    public static let historyVisibility = "m.room.history_visibility"
    public static let guestAccess = "m.room.guest_access"
    public static let name = "m.room.name"
    public static let topic = "m.room.topic"
    public static let avatar = "m.room.avatar"
    public static let canonicalAlias = "m.room.canonical_alias"
    public static let encryption = "m.room.encryption"
    public static let serverACL = "m.room.server_acl"
    public static let tombstone = "m.room.tombstone"
    public static let message = "m.room.message"
}

/// `membership` values of `m.room.member` events.
public enum Membership {
    public static let join = "join"
    public static let invite = "invite"
    public static let leave = "leave"
    public static let ban = "ban"
    public static let knock = "knock"
}

/// `join_rule` values of `m.room.join_rules` events.
public enum JoinRule {
    public static let `public` = "public"
    public static let invite = "invite"
    public static let knock = "knock"
    public static let restricted = "restricted"
    public static let knockRestricted = "knock_restricted"
}

/// `history_visibility` values of `m.room.history_visibility` events.
public enum HistoryVisibility {
    public static let worldReadable = "world_readable"
    public static let shared = "shared"
    public static let invited = "invited"
    public static let joined = "joined"
}
