/// Why an event fails the authorization rules: which rule (``code``) and a human-readable
/// ``message`` naming the event, user or level involved.
///
/// Lower layers throw this; the event persister and federation handler convert it once to a
/// `MatrixError` (`M_FORBIDDEN`) or store the event as rejected.
public struct AuthorizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rule that failed. An extensible set of constants, compared by name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        // State-independent checks (checkAuthEvents).
        public static let eventTooLarge = Code("eventTooLarge")
        public static let fieldTooLong = Code("fieldTooLong")
        public static let missingRoomID = Code("missingRoomID")
        public static let unknownAuthEvent = Code("unknownAuthEvent")
        public static let authEventInOtherRoom = Code("authEventInOtherRoom")
        public static let rejectedAuthEvent = Code("rejectedAuthEvent")
        public static let duplicateAuthEvent = Code("duplicateAuthEvent")
        public static let unexpectedAuthEvent = Code("unexpectedAuthEvent")
        public static let createEventInAuthEvents = Code("createEventInAuthEvents")
        public static let missingCreateEvent = Code("missingCreateEvent")

        // m.room.create.
        public static let createHasPrevEvents = Code("createHasPrevEvents")
        public static let createHasRoomID = Code("createHasRoomID")
        public static let createRoomIDDomainMismatch = Code("createRoomIDDomainMismatch")
        public static let unsupportedRoomVersion = Code("unsupportedRoomVersion")
        public static let createMissingCreator = Code("createMissingCreator")
        public static let invalidAdditionalCreators = Code("invalidAdditionalCreators")

        // State-dependent rules.
        public static let roomNotFederatable = Code("roomNotFederatable")
        public static let invalidAliasesEvent = Code("invalidAliasesEvent")
        public static let invalidMembership = Code("invalidMembership")
        public static let senderNotJoined = Code("senderNotJoined")
        public static let notInvited = Code("notInvited")
        public static let banned = Code("banned")
        public static let alreadyJoined = Code("alreadyJoined")
        public static let cannotJoinForOthers = Code("cannotJoinForOthers")
        public static let joinNotAllowed = Code("joinNotAllowed")
        public static let missingAuthorisingUser = Code("missingAuthorisingUser")
        public static let authorisingUserNotJoined = Code("authorisingUserNotJoined")
        public static let authorisingUserCannotInvite = Code("authorisingUserCannotInvite")
        public static let invalidThirdPartyInvite = Code("invalidThirdPartyInvite")
        public static let cannotKnock = Code("cannotKnock")
        public static let insufficientPowerToInvite = Code("insufficientPowerToInvite")
        public static let insufficientPowerToKick = Code("insufficientPowerToKick")
        public static let insufficientPowerToBan = Code("insufficientPowerToBan")
        public static let insufficientPowerToUnban = Code("insufficientPowerToUnban")
        public static let insufficientPowerToSend = Code("insufficientPowerToSend")
        public static let insufficientPowerToRedact = Code("insufficientPowerToRedact")
        public static let notStateKeyOwner = Code("notStateKeyOwner")
        public static let invalidPowerLevels = Code("invalidPowerLevels")
        public static let powerLevelAboveOwn = Code("powerLevelAboveOwn")
        public static let powerLevelEqualToOwn = Code("powerLevelEqualToOwn")
        public static let creatorInPowerLevelUsers = Code("creatorInPowerLevelUsers")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
