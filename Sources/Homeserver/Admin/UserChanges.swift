/// What `PUT /_synapse/admin/v2/users/{userId}` asks of an account: fields left `nil` stay as
/// they are (or take their default when the account is created).
public struct UserChanges: Sendable {
    /// A new password (no length policy for admins, as in Synapse).
    public var password: String?
    /// Whether setting a password logs out every device of the user (Synapse's default: yes).
    public var logoutDevices = true
    /// A new display name; `""` removes it.
    public var displayName: String?
    /// A new avatar URL; `""` removes it.
    public var avatarURL: String?
    /// Whether the user is a server admin.
    public var admin: Bool?
    /// `true` deactivates an account, `false` reactivates it (without a password unless one is
    /// given). Ignored when the account is created, as Synapse does.
    public var deactivated: Bool?
    /// The user's third-party identifiers, replacing all others.
    public var threepids: [(medium: String, address: String)]?
    /// A new user type (one of ``UserType/all``); `.some(nil)` makes the user an ordinary one.
    public var userType: String??

    public init() {}
}
