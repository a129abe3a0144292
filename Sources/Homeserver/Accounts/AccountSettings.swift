import MatrixCore
import MatrixCrypto

/// How accounts are created and authenticated.
public struct AccountSettings: Sendable {
    public var serverName: ServerName
    /// Whether `POST /register` creates accounts for anyone (with `m.login.dummy`).
    public var registrationEnabled: Bool
    /// The Argon2id cost of new password hashes.
    public var passwordHasher: PasswordHasher
    /// Shortest password accepted on registration and password change.
    public var minimumPasswordLength: Int
    /// Lifetime of access tokens that come with a refresh token, in milliseconds.
    public var refreshableTokenLifetimeMilliseconds: Int64

    public init(
        serverName: ServerName, registrationEnabled: Bool, passwordHasher: PasswordHasher,
        minimumPasswordLength: Int, refreshableTokenLifetimeMilliseconds: Int64
    ) {
        self.serverName = serverName
        self.registrationEnabled = registrationEnabled
        self.passwordHasher = passwordHasher
        self.minimumPasswordLength = minimumPasswordLength
        self.refreshableTokenLifetimeMilliseconds = refreshableTokenLifetimeMilliseconds
    }
}
