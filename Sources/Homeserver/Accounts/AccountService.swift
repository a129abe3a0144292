import Foundation
import Logging
import MatrixCore
import MatrixCrypto
import Replication
import Storage

/// Local accounts: registration, password login, access tokens, devices and passwords.
///
/// Access and refresh tokens are random 40-character strings, stored as their SHA-256 only.
/// Passwords are hashed with Argon2id off the event loops (``BlockingWork``).
public struct AccountService: Sendable {
    let store: AccountStore
    public let settings: AccountSettings
    let logger: Logger
    /// Announces deleted devices on ``StreamName/deviceLists``, so that the syncs of everyone
    /// sharing a room wake up; `nil` in processes that serve no client (the operator CLI).
    let announcer: StreamAnnouncer?

    public init(store: AccountStore, settings: AccountSettings, publisher: StreamPublisher? = nil, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.announcer = publisher.map { StreamAnnouncer(publisher: $0, logger: logger) }
    }

    // MARK: - Registration

    /// Validates a requested localpart and checks that it is free (`M_INVALID_USERNAME`, `M_USER_IN_USE`).
    public func availableUserID(localpart: String) async throws -> UserID {
        let lowered = localpart.lowercased()
        guard !lowered.isEmpty, UserID.isValidNewLocalpart(lowered),
              let userID = try? UserID(localpart: lowered, serverName: settings.serverName)
        else {
            throw MatrixError(.invalidUsername, "User ID may only contain a-z, 0-9, '.', '_', '=', '-', '/' and '+'")
        }
        if try await store.userExists(caseInsensitive: userID.description) {
            throw MatrixError(.userInUse, "User ID already taken.")
        }
        return userID
    }

    /// Creates an account and, unless `inhibitLogin`, a device and tokens for it.
    ///
    /// Without a localpart, one is generated. The display name defaults to the localpart.
    /// Registrations by a server admin (admin API, operator CLI) pass `checkingPasswordPolicy: false`,
    /// as Synapse applies its password policy to users only.
    public func register(
        localpart: String?, password: String?, deviceID: String? = nil, deviceDisplayName: String? = nil,
        inhibitLogin: Bool = false, wantsRefreshToken: Bool = false, isAdmin: Bool = false,
        userType: String? = nil, displayName: String? = nil, checkingPasswordPolicy: Bool = true
    ) async throws -> (userID: UserID, session: LoginSession?) {
        let userID = try await availableUserID(localpart: localpart ?? generatedLocalpart())
        let hash = try await password.asyncMap { try await hashPassword($0, checkingPolicy: checkingPasswordPolicy) }
        guard try await store.createUser(
            userID.description, passwordHash: hash, isAdmin: isAdmin, userType: userType,
            displayName: displayName ?? String(userID.localpart)
        ) else {
            throw MatrixError(.userInUse, "User ID already taken.")
        }
        logger.info("account registered", metadata: ["user_id": "\(userID)"])
        guard !inhibitLogin else { return (userID, nil) }
        let session = try await startSession(for: userID, deviceID: deviceID, deviceDisplayName: deviceDisplayName,
                                             wantsRefreshToken: wantsRefreshToken)
        return (userID, session)
    }

    /// Hashes a new password, first checking the policy's minimum length (`M_PASSWORD_TOO_SHORT`)
    /// unless told not to. Passwords longer than the hasher takes are `M_INVALID_PARAM` either way.
    public func hashPassword(_ password: String, checkingPolicy: Bool = true) async throws -> String {
        guard !checkingPolicy || password.count >= settings.minimumPasswordLength else {
            throw MatrixError(.passwordTooShort, "Password must be at least \(settings.minimumPasswordLength) characters")
        }
        let hasher = settings.passwordHasher
        return try await BlockingWork.run {
            do {
                return try hasher.hash(password)
            } catch PasswordHashingError.passwordTooLong {
                throw MatrixError(.invalidParam, "Password too long")
            }
        }
    }

    private func generatedLocalpart() -> String {
        "u" + SecureToken.random(11, from: Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8))
    }

    // MARK: - Login and tokens

    /// Logs in with a password: `user` is a localpart or a full user ID of this server.
    /// Wrong credentials and unknown users get the same `403 M_FORBIDDEN`.
    public func login(
        user: String, password: String, deviceID: String?, deviceDisplayName: String?, wantsRefreshToken: Bool
    ) async throws -> LoginSession {
        let userID = try await verifyPassword(user: user, password: password)
        return try await startSession(for: userID, deviceID: deviceID, deviceDisplayName: deviceDisplayName,
                                      wantsRefreshToken: wantsRefreshToken)
    }

    /// Checks a password (login, user-interactive auth) and returns the account's user ID.
    public func verifyPassword(user: String, password: String) async throws -> UserID {
        let forbidden = MatrixError(.forbidden, "Invalid username or password")
        let text = user.hasPrefix("@") ? user : "@\(user.lowercased()):\(settings.serverName)"
        guard let userID = try? UserID(parsing: text), userID.serverName == settings.serverName,
              let record = try await store.user(userID.description), let hash = record.passwordHash
        else { throw forbidden }
        guard try await BlockingWork.run({ PasswordHasher.verify(password, against: hash) }) else { throw forbidden }
        guard !record.deactivated else { throw MatrixError(.userDeactivated, "This account has been deactivated") }
        if settings.passwordHasher.needsRehash(hash) {
            try await store.setPasswordHash(try await hashPassword(password), for: userID.description)
        }
        return userID
    }

    /// Creates (or reuses) a device and issues its access token.
    private func startSession(
        for userID: UserID, deviceID: String?, deviceDisplayName: String?, wantsRefreshToken: Bool
    ) async throws -> LoginSession {
        let deviceID = deviceID ?? SecureToken.random(10, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
        try await store.upsertDevice(userID: userID.description, deviceID: deviceID, displayName: deviceDisplayName)
        let accessToken = Self.newToken(prefix: "tra")
        var session = LoginSession(userID: userID, deviceID: deviceID, accessToken: accessToken)
        var expires: Int64?
        if wantsRefreshToken {
            session.refreshToken = Self.newToken(prefix: "trr")
            session.expiresInMilliseconds = settings.refreshableTokenLifetimeMilliseconds
            expires = unixMilliseconds() + settings.refreshableTokenLifetimeMilliseconds
        }
        try await store.insertAccessToken(
            digest: SecureToken.digest(accessToken), userID: userID.description, deviceID: deviceID,
            expiresTimestamp: expires, refreshDigest: session.refreshToken.map(SecureToken.digest)
        )
        return session
    }

    /// The user and device behind an access token.
    ///
    /// `401 M_UNKNOWN_TOKEN` for an unknown token (`soft_logout: false`) or an expired one
    /// (`soft_logout: true`: the client may refresh and keep its device), and for deactivated users.
    public func authenticate(accessToken: String) async throws -> Requester {
        guard let owner = try await store.owner(ofToken: SecureToken.digest(accessToken)), !owner.deactivated else {
            throw MatrixError(.unknownToken, "Unknown access token", extra: ["soft_logout": false])
        }
        if let expires = owner.expiresTimestamp, expires <= unixMilliseconds() {
            throw MatrixError(.unknownToken, "Access token has expired", extra: ["soft_logout": true])
        }
        return Requester(userID: try UserID(parsing: owner.userID), deviceID: owner.deviceID, isAdmin: owner.isAdmin)
    }

    /// Exchanges a refresh token for a new access and refresh token; the old pair stops working.
    public func refresh(refreshToken: String) async throws -> LoginSession {
        let accessToken = Self.newToken(prefix: "tra"), newRefreshToken = Self.newToken(prefix: "trr")
        let lifetime = settings.refreshableTokenLifetimeMilliseconds
        guard let owner = try await store.rotate(
            refreshDigest: SecureToken.digest(refreshToken), newDigest: SecureToken.digest(accessToken),
            newRefreshDigest: SecureToken.digest(newRefreshToken), expiresTimestamp: unixMilliseconds() + lifetime
        ), !owner.deactivated else {
            throw MatrixError(.unknownToken, "Unknown refresh token", extra: ["soft_logout": false])
        }
        return LoginSession(userID: try UserID(parsing: owner.userID), deviceID: owner.deviceID, accessToken: accessToken,
                            refreshToken: newRefreshToken, expiresInMilliseconds: lifetime)
    }

    /// Ends the requester's session: deletes its device and that device's tokens.
    public func logout(_ requester: Requester) async throws {
        try await deleteDevices([requester.deviceID], of: requester.userID)
    }

    /// Ends every session of the requester's account.
    public func logoutAll(_ requester: Requester) async throws {
        try await deleteAllDevices(of: requester.userID)
    }

    // MARK: - Account management

    /// Sets a new password; with `logOutOtherDevices`, every other device is logged out.
    public func changePassword(_ requester: Requester, to password: String, logOutOtherDevices: Bool) async throws {
        try await setPassword(password, for: requester.userID, loggingOut: logOutOtherDevices,
                              except: requester.deviceID)
    }

    /// Sets a user's password; with `loggingOut`, deletes every device but `keptDevice` and their tokens.
    public func setPassword(
        _ password: String, for userID: UserID, loggingOut: Bool, except keptDevice: String? = nil,
        checkingPolicy: Bool = true
    ) async throws {
        try await store.setPasswordHash(try await hashPassword(password, checkingPolicy: checkingPolicy),
                                        for: userID.description)
        if loggingOut {
            try await deleteAllDevices(of: userID, except: keptDevice)
        }
    }

    /// Deactivates an account: it can no longer log in, all its sessions end, and its password
    /// and third-party identifiers are removed.
    public func deactivate(_ userID: UserID) async throws {
        try await store.setDeactivated(true, for: userID.description)
        try await store.setPasswordHash(nil, for: userID.description)
        try await deleteAllDevices(of: userID)
        try await store.replaceThreepids(of: userID.description, with: [])
        logger.info("account deactivated", metadata: ["user_id": "\(userID)"])
    }

    /// Lets a deactivated account be used again; it has no password until one is set.
    public func reactivate(_ userID: UserID) async throws {
        try await store.setDeactivated(false, for: userID.description)
        logger.info("account reactivated", metadata: ["user_id": "\(userID)"])
    }

    // MARK: - Devices

    public func devices(of userID: UserID) async throws -> [DeviceRecord] {
        try await store.devices(of: userID.description)
    }

    /// One device of the user, or `404 M_NOT_FOUND`.
    public func device(_ deviceID: String, of userID: UserID) async throws -> DeviceRecord {
        guard let device = try await devices(of: userID).first(where: { $0.deviceID == deviceID }) else {
            throw MatrixError(.notFound, "Device not found")
        }
        return device
    }

    /// Renames a device, or `404 M_NOT_FOUND`.
    public func renameDevice(_ deviceID: String, of userID: UserID, to displayName: String?) async throws {
        guard try await store.renameDevice(userID: userID.description, deviceID: deviceID, displayName: displayName) else {
            throw MatrixError(.notFound, "Device not found")
        }
    }

    /// Deletes devices and their tokens and keys, and announces the device list change.
    public func deleteDevices(_ deviceIDs: [String], of userID: UserID) async throws {
        try await store.deleteDevices(userID: userID.description, deviceIDs: deviceIDs)
        await announcer?.announce(.deviceLists, ["user_id": userID.description])
    }

    /// Deletes every device of the user but `keptDevice`, as ``deleteDevices(_:of:)`` does.
    private func deleteAllDevices(of userID: UserID, except keptDevice: String? = nil) async throws {
        try await store.deleteAllDevices(userID: userID.description, except: keptDevice)
        await announcer?.announce(.deviceLists, ["user_id": userID.description])
    }

    static func newToken(prefix: String) -> String { prefix + "_" + SecureToken.alphanumeric(40) }
    /// The current time in ms since the epoch.
}

extension Optional {
    /// `map` with an asynchronous, throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
