import MatrixCore
import MatrixCrypto
import Storage

/// A `POST /_synapse/admin/v1/register` request.
public struct SharedSecretRegistrationRequest: Sendable {
    public var nonce: String
    /// The requested localpart, as the client wrote it (and MACed it); registered in lower case.
    public var username: String
    public var password: String
    /// The hex HMAC-SHA1 the client computed
    /// (``SharedSecretRegistration/mac(secret:nonce:username:password:admin:userType:)``).
    public var mac: String
    public var admin: Bool
    public var userType: String?
    public var displayName: String?
    public var deviceID: String?
    public var deviceDisplayName: String?
    public var inhibitLogin: Bool
    public var wantsRefreshToken: Bool

    public init(
        nonce: String, username: String, password: String, mac: String, admin: Bool = false, userType: String? = nil,
        displayName: String? = nil, deviceID: String? = nil, deviceDisplayName: String? = nil,
        inhibitLogin: Bool = false, wantsRefreshToken: Bool = false
    ) {
        self.nonce = nonce
        self.username = username
        self.password = password
        self.mac = mac
        self.admin = admin
        self.userType = userType
        self.displayName = displayName
        self.deviceID = deviceID
        self.deviceDisplayName = deviceDisplayName
        self.inhibitLogin = inhibitLogin
        self.wantsRefreshToken = wantsRefreshToken
    }
}

/// Registration with the server's `registration_shared_secret`, compatible with Synapse's
/// `register_new_matrix_user` and the tools built on it.
///
/// A client fetches a nonce, then posts the new account with a MAC over the nonce and the
/// account's details keyed by the secret. Nonces live in PostgreSQL, so any client-api replica
/// accepts a nonce another issued; each is accepted once, within ``nonceLifetimeMilliseconds``.
public struct SharedSecretRegistration: Sendable {
    /// How long a nonce is accepted after it is issued (Synapse: 60 s).
    public static let nonceLifetimeMilliseconds: Int64 = 60_000
    /// Longest username and password accepted, in characters (Synapse's limit).
    public static let maximumFieldLength = 512

    let secret: String?
    let nonces: RegistrationNonceStore
    let accounts: AccountService
    let now: @Sendable () -> Int64

    /// `secret` `nil` (or empty) disables shared-secret registration. `now` is the clock in ms since the epoch.
    public init(
        secret: String?, nonces: RegistrationNonceStore, accounts: AccountService,
        now: @escaping @Sendable () -> Int64 = unixMilliseconds
    ) {
        self.secret = secret
        self.nonces = nonces
        self.accounts = accounts
        self.now = now
    }

    /// A new single-use nonce: 64 random bytes in hex, as Synapse issues.
    public func issueNonce() async throws -> String {
        _ = try enabledSecret()  // unlike Synapse, no nonces (database rows) while disabled
        let nonce = SecureToken.hex(byteCount: 64)
        let issued = now()
        try await nonces.insert(nonce, expiresTimestamp: issued + Self.nonceLifetimeMilliseconds, now: issued)
        return nonce
    }

    /// Checks the nonce (which is used up even when the request then fails) and the MAC, then
    /// creates the account and, unless `inhibitLogin`, a device and tokens.
    ///
    /// `403 M_FORBIDDEN` for a wrong MAC; `400` for an unknown, used or expired nonce or a bad field.
    public func register(
        _ request: SharedSecretRegistrationRequest
    ) async throws -> (userID: UserID, session: LoginSession?) {
        let secret = try enabledSecret()
        guard try await nonces.consume(request.nonce, now: now()) else {
            throw MatrixError(.invalidParam, "unrecognised nonce")
        }
        guard Self.isAcceptable(request.username) else { throw MatrixError(.invalidParam, "Invalid username") }
        guard Self.isAcceptable(request.password) else { throw MatrixError(.invalidParam, "Invalid password") }
        try UserType.validate(request.userType)
        let expected = Self.mac(secret: secret, nonce: request.nonce, username: request.username,
                                password: request.password, admin: request.admin, userType: request.userType)
        guard HMAC.isEqual(Array(expected.utf8), Array(request.mac.utf8)) else {
            throw MatrixError(.forbidden, "HMAC incorrect")
        }
        return try await accounts.register(
            localpart: request.username.lowercased(), password: request.password, deviceID: request.deviceID,
            deviceDisplayName: request.deviceDisplayName, inhibitLogin: request.inhibitLogin,
            wantsRefreshToken: request.wantsRefreshToken, isAdmin: request.admin, userType: request.userType,
            displayName: request.displayName, checkingPasswordPolicy: false
        )
    }

    /// The MAC Synapse expects: the hex HMAC-SHA1, keyed by the shared secret, of
    /// `nonce \0 username \0 password \0 admin|notadmin`, followed by `\0 user_type` when a type is given.
    public static func mac(
        secret: String, nonce: String, username: String, password: String, admin: Bool, userType: String?
    ) -> String {
        var fields = [nonce, username, password, admin ? "admin" : "notadmin"]
        if let userType, !userType.isEmpty { fields.append(userType) }
        return Hex.encode(HMAC.sha1(key: Array(secret.utf8), message: Array(fields.joined(separator: "\0").utf8)))
    }

    private func enabledSecret() throws(MatrixError) -> String {
        guard let secret, !secret.isEmpty else {
            throw MatrixError(.invalidParam, "Shared secret registration is not enabled")
        }
        return secret
    }

    /// At most ``maximumFieldLength`` characters and no NUL, which would make the MAC ambiguous.
    private static func isAcceptable(_ field: String) -> Bool {
        field.count <= maximumFieldLength && !field.utf8.contains(0)
    }
}
