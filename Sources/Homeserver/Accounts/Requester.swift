import MatrixCore

/// The authenticated user and device behind a request.
public struct Requester: Sendable, Equatable {
    public var userID: UserID
    public var deviceID: String
    /// A server admin, allowed to call the admin API.
    public var isAdmin: Bool

    public init(userID: UserID, deviceID: String, isAdmin: Bool) {
        self.userID = userID
        self.deviceID = deviceID
        self.isAdmin = isAdmin
    }
}

/// A login: the tokens a client uses from now on.
public struct LoginSession: Sendable, Equatable {
    public var userID: UserID
    public var deviceID: String
    public var accessToken: String
    /// Present when the client asked for refresh tokens.
    public var refreshToken: String?
    /// Lifetime of the access token in milliseconds, with `refreshToken`.
    public var expiresInMilliseconds: Int64?
}
