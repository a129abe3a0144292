/// Everything that differs between room versions, as data.
///
/// Each version is its predecessor with a few fields changed (see `RoomVersionRules+Versions.swift`),
/// following https://spec.matrix.org/v1.16/rooms/ and Synapse's `KNOWN_ROOM_VERSIONS`.
public struct RoomVersionRules: Sendable, Equatable {
    /// Whether a version is recommended for general use.
    public enum Disposition: String, Sendable {
        case stable, unstable
    }

    /// How an event's ID is obtained.
    public enum EventIDFormat: Sendable {
        /// Versions 1 and 2: `event_id` is a field of the event (`$opaque:server`).
        case explicit
        /// Version 3: `$` + standard unpadded Base64 of the reference hash.
        case base64
        /// Version 4 and later: `$` + URL-safe unpadded Base64 of the reference hash.
        case urlSafeBase64
    }

    /// Which state resolution algorithm the version uses.
    public enum StateResolution: Sendable {
        /// Room version 1.
        case v1
        /// Room versions 2 to 11.
        case v2
        /// Room version 12 (MSC4297): v2 beginning its iterative auth checks from an empty state and
        /// including the conflicted state subgraph.
        case v2_1
    }

    public var id: RoomVersionID
    public var disposition: Disposition
    public var eventIDFormat: EventIDFormat
    public var stateResolution: StateResolution
    /// What redaction keeps.
    public var redaction: RedactionRules
    /// v5+: reject events signed with keys whose `valid_until_ts` has passed.
    public var enforceKeyValidity: Bool
    /// v1–v5: `m.room.aliases` events are authorised by the sender's server name alone.
    public var specialCaseAliasesAuth: Bool
    /// v6+: events must be strict canonical JSON (no floats, integers within ±(2^53−1)).
    public var strictCanonicalJSON: Bool
    /// v6+: `notifications` power levels are checked by the auth rules.
    public var limitNotificationsPowerLevels: Bool
    /// v7+: the `knock` join rule and membership.
    public var knockJoinRule: Bool
    /// v8+: the `restricted` join rule.
    public var restrictedJoinRule: Bool
    /// v10+: the `knock_restricted` join rule.
    public var knockRestrictedJoinRule: Bool
    /// v10+: power level values must be integers, not strings.
    public var integerOnlyPowerLevels: Bool
    /// MSC3757: state keys starting with a user ID (`@user:server_…`) are owned by that user.
    public var ownedStateKeys: Bool
    /// v11+: the room creator is the create event's `sender`, not `content.creator`.
    public var implicitRoomCreator: Bool
    /// v12+: room creators (sender and `additional_creators`) have infinite power.
    public var privilegedRoomCreators: Bool
    /// v12+: the room ID is `!` + the create event's reference hash, and the create event has no
    /// `room_id`.
    public var roomIDFromCreateEvent: Bool
    /// v11+: `m.room.redaction` names its target in `content.redacts` instead of a top-level
    /// `redacts` (MSC2174). Read it with ``PDU/redacts(rules:)``.
    public var redactsInContent: Bool = false

    /// Returns a copy changed by `change`; each version is built from the one before.
    public func with(_ change: (inout RoomVersionRules) -> Void) -> RoomVersionRules {
        var copy = self
        change(&copy)
        return copy
    }

    /// The rules of a known room version, or `nil`.
    public static func rules(for id: RoomVersionID) -> RoomVersionRules? {
        byID[id]
    }

    /// The stable room versions; see ``RoomVersionID/stable``.
    public static var stable: [RoomVersionID] { RoomVersionID.stable }

    /// The default version for new rooms; see ``RoomVersionID/defaultVersion``.
    public static var defaultVersion: RoomVersionID { RoomVersionID.defaultVersion }
}
