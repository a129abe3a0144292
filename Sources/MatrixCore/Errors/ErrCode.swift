/// A Matrix error code (`errcode`), such as `M_FORBIDDEN`.
///
/// The list follows https://spec.matrix.org/v1.16/client-server-api/#standard-error-response
/// and the codes defined beside individual endpoints. Unknown codes (from remote servers or
/// other specs) are representable too: `ErrCode(rawValue: "ORG_EXAMPLE_CODE")`.
/// It encodes as the bare string (`RawRepresentable`'s `Codable`).
public struct ErrCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    // Common error codes.
    public static let forbidden = ErrCode(rawValue: "M_FORBIDDEN")
    public static let unknownToken = ErrCode(rawValue: "M_UNKNOWN_TOKEN")
    public static let missingToken = ErrCode(rawValue: "M_MISSING_TOKEN")
    public static let userLocked = ErrCode(rawValue: "M_USER_LOCKED")
    public static let userSuspended = ErrCode(rawValue: "M_USER_SUSPENDED")
    public static let badJSON = ErrCode(rawValue: "M_BAD_JSON")
    public static let notJSON = ErrCode(rawValue: "M_NOT_JSON")
    public static let notFound = ErrCode(rawValue: "M_NOT_FOUND")
    public static let limitExceeded = ErrCode(rawValue: "M_LIMIT_EXCEEDED")
    public static let unrecognized = ErrCode(rawValue: "M_UNRECOGNIZED")
    public static let unknown = ErrCode(rawValue: "M_UNKNOWN")

    // Other error codes.
    public static let unauthorized = ErrCode(rawValue: "M_UNAUTHORIZED")
    public static let userDeactivated = ErrCode(rawValue: "M_USER_DEACTIVATED")
    public static let userInUse = ErrCode(rawValue: "M_USER_IN_USE")
    public static let invalidUsername = ErrCode(rawValue: "M_INVALID_USERNAME")
    public static let roomInUse = ErrCode(rawValue: "M_ROOM_IN_USE")
    public static let invalidRoomState = ErrCode(rawValue: "M_INVALID_ROOM_STATE")
    public static let threepidInUse = ErrCode(rawValue: "M_THREEPID_IN_USE")
    public static let threepidNotFound = ErrCode(rawValue: "M_THREEPID_NOT_FOUND")
    public static let threepidAuthFailed = ErrCode(rawValue: "M_THREEPID_AUTH_FAILED")
    public static let threepidDenied = ErrCode(rawValue: "M_THREEPID_DENIED")
    public static let threepidMediumNotSupported = ErrCode(rawValue: "M_THREEPID_MEDIUM_NOT_SUPPORTED")
    public static let serverNotTrusted = ErrCode(rawValue: "M_SERVER_NOT_TRUSTED")
    public static let unsupportedRoomVersion = ErrCode(rawValue: "M_UNSUPPORTED_ROOM_VERSION")
    public static let incompatibleRoomVersion = ErrCode(rawValue: "M_INCOMPATIBLE_ROOM_VERSION")
    public static let badState = ErrCode(rawValue: "M_BAD_STATE")
    public static let guestAccessForbidden = ErrCode(rawValue: "M_GUEST_ACCESS_FORBIDDEN")
    public static let captchaNeeded = ErrCode(rawValue: "M_CAPTCHA_NEEDED")
    public static let captchaInvalid = ErrCode(rawValue: "M_CAPTCHA_INVALID")
    public static let missingParam = ErrCode(rawValue: "M_MISSING_PARAM")
    public static let invalidParam = ErrCode(rawValue: "M_INVALID_PARAM")
    public static let tooLarge = ErrCode(rawValue: "M_TOO_LARGE")
    public static let exclusive = ErrCode(rawValue: "M_EXCLUSIVE")
    public static let resourceLimitExceeded = ErrCode(rawValue: "M_RESOURCE_LIMIT_EXCEEDED")
    public static let cannotLeaveServerNoticeRoom = ErrCode(rawValue: "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM")
    public static let weakPassword = ErrCode(rawValue: "M_WEAK_PASSWORD")
    public static let passwordTooShort = ErrCode(rawValue: "M_PASSWORD_TOO_SHORT")
    public static let unableToAuthoriseJoin = ErrCode(rawValue: "M_UNABLE_TO_AUTHORISE_JOIN")
    public static let unableToGrantJoin = ErrCode(rawValue: "M_UNABLE_TO_GRANT_JOIN")
    public static let notYetUploaded = ErrCode(rawValue: "M_NOT_YET_UPLOADED")
    public static let cannotOverwriteMedia = ErrCode(rawValue: "M_CANNOT_OVERWRITE_MEDIA")
    public static let unknownPos = ErrCode(rawValue: "M_UNKNOWN_POS")
    public static let badAlias = ErrCode(rawValue: "M_BAD_ALIAS")
    public static let duplicateAnnotation = ErrCode(rawValue: "M_DUPLICATE_ANNOTATION")
    public static let invalidSignature = ErrCode(rawValue: "M_INVALID_SIGNATURE")
    public static let keyNotFound = ErrCode(rawValue: "M_KEY_NOT_FOUND")
    public static let wrongRoomKeysVersion = ErrCode(rawValue: "M_WRONG_ROOM_KEYS_VERSION")
    public static let inviteBlocked = ErrCode(rawValue: "M_INVITE_BLOCKED")
    public static let unknownDevice = ErrCode(rawValue: "M_UNKNOWN_DEVICE")
}
