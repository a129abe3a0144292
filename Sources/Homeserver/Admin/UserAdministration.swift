import MatrixCore
import Storage

/// A user as the admin API shows it.
public struct AdminUserDetails: Sendable, Equatable {
    /// The `users` row: name, flags, profile, type and creation time.
    public var account: UserRecord
    /// The email addresses and phone numbers bound to the account.
    public var threepids: [ThreepidRecord]
    /// When the user last used one of their devices (ms since the epoch); `nil` if never.
    public var lastSeenTimestamp: Int64?
}

/// One page of the admin user list.
public struct AdminUserPage: Sendable, Equatable {
    /// The users of this page, in user ID order.
    public var users: [UserRecord]
    /// When each listed user was last seen (ms since the epoch); users never seen are absent.
    public var lastSeen: [String: Int64]
    /// How many users match the filter, on every page.
    public var total: Int
    /// Where the next page starts; `nil` on the last page.
    public var nextOffset: Int?
}

/// Synapse's user admin API as domain operations on local accounts: look up, list, create or
/// modify. Callers have checked that the requester is a server admin.
public struct UserAdministration: Sendable {
    let accounts: AccountService
    let store: AccountStore
    let profiles: ProfileService
    let deactivation: AccountDeactivation

    public init(accounts: AccountService, store: AccountStore, profiles: ProfileService,
                deactivation: AccountDeactivation) {
        self.accounts = accounts
        self.store = store
        self.profiles = profiles
        self.deactivation = deactivation
    }

    /// A local user, or `404 M_NOT_FOUND`.
    public func details(of userID: UserID) async throws -> AdminUserDetails {
        try requireLocal(userID, otherwise: "Can only look up local users")
        guard let account = try await store.user(userID.description) else {
            throw MatrixError(.notFound, "User not found")
        }
        return AdminUserDetails(
            account: account, threepids: try await store.threepids(of: userID.description),
            lastSeenTimestamp: try await store.lastSeenTimestamps(of: [userID.description])[userID.description]
        )
    }

    /// `limit` users matching `filter` from `offset` on, ordered by user ID. As in Synapse, there
    /// is a next page while `offset + limit` is below the total.
    public func users(matching filter: UserListFilter, offset: Int, limit: Int) async throws -> AdminUserPage {
        let total = try await store.userCount(matching: filter)
        let users = try await store.users(matching: filter, offset: offset, limit: limit)
        return AdminUserPage(
            users: users, lastSeen: try await store.lastSeenTimestamps(of: users.map(\.userID)), total: total,
            nextOffset: offset + limit < total ? offset + users.count : nil
        )
    }

    /// Deactivates a local user (see ``AccountDeactivation``), or `404 M_NOT_FOUND`.
    public func deactivate(_ userID: UserID, erase: Bool) async throws {
        try requireLocal(userID, otherwise: "Can only deactivate local users")
        guard try await store.user(userID.description) != nil else {
            throw MatrixError(.notFound, "User not found")
        }
        try await deactivation.deactivate(userID, erase: erase)
    }

    /// Creates the account with `changes`, or applies them to the existing account; returns the
    /// account afterwards and whether it was created. Everything is validated before anything changes.
    public func createOrModify(
        _ userID: UserID, with changes: UserChanges, by requester: Requester
    ) async throws -> (details: AdminUserDetails, created: Bool) {
        try requireLocal(userID, otherwise: "This endpoint can only be used with local users")
        try UserType.validate(changes.userType ?? nil)
        try ProfileService.validate(displayName: changes.displayName)
        try ProfileService.validate(avatarURL: changes.avatarURL)
        let threepids = try changes.threepids.map(Self.canonical)
        if let account = try await store.user(userID.description) {
            try await modify(account, userID, with: changes, threepids: threepids, by: requester)
            return (try await details(of: userID), false)
        }
        try await create(userID, with: changes, threepids: threepids)
        return (try await details(of: userID), true)
    }

    /// Registers the account without logging it in; the display name defaults to the localpart.
    private func create(
        _ userID: UserID, with changes: UserChanges, threepids: [(medium: String, address: String)]?
    ) async throws {
        guard UserID.isValidNewLocalpart(userID.localpart) else {
            throw MatrixError(.invalidUsername, "User ID can only contain characters a-z, 0-9, or '=_-./+'")
        }
        _ = try await accounts.register(
            localpart: String(userID.localpart), password: changes.password, inhibitLogin: true,
            isAdmin: changes.admin ?? false, userType: changes.userType ?? nil,
            displayName: changes.displayName.flatMap { $0.isEmpty ? nil : $0 }, checkingPasswordPolicy: false
        )
        if let threepids {
            try await store.replaceThreepids(of: userID.description, with: threepids)
        }
        if let avatarURL = changes.avatarURL, !avatarURL.isEmpty {
            try await profiles.setAvatarURL(avatarURL, for: userID)
        }
    }

    /// Applies the changes in Synapse's order: profile, third-party IDs, admin flag, password
    /// (so that a reactivated account can get one), deactivation, user type.
    private func modify(
        _ account: UserRecord, _ userID: UserID, with changes: UserChanges,
        threepids: [(medium: String, address: String)]?, by requester: Requester
    ) async throws {
        if changes.admin == false, account.isAdmin, userID == requester.userID {
            throw MatrixError(.invalidParam, "You may not demote yourself.")
        }
        if let displayName = changes.displayName {
            try await profiles.setDisplayName(displayName.isEmpty ? nil : displayName, for: userID)
        }
        if let threepids {
            try await store.replaceThreepids(of: userID.description, with: threepids)
        }
        if let avatarURL = changes.avatarURL {
            try await profiles.setAvatarURL(avatarURL.isEmpty ? nil : avatarURL, for: userID)
        }
        if let admin = changes.admin, admin != account.isAdmin {
            try await store.setAdmin(admin, for: userID.description)
        }
        if let password = changes.password {
            // An admin changing their own password keeps the session they are using.
            try await accounts.setPassword(
                password, for: userID, loggingOut: changes.logoutDevices,
                except: userID == requester.userID ? requester.deviceID : nil, checkingPolicy: false
            )
        }
        switch (changes.deactivated, account.deactivated) {
        case (true?, false): try await deactivation.deactivate(userID, erase: false)
        case (false?, true): try await accounts.reactivate(userID)
        default: break
        }
        if let userType = changes.userType {
            try await store.setUserType(userType, for: userID.description)
        }
    }

    private func requireLocal(_ userID: UserID, otherwise message: String) throws(MatrixError) {
        guard userID.serverName == accounts.settings.serverName else {
            throw MatrixError(.invalidParam, message)
        }
    }

    /// Checks each medium (`email` or `msisdn`), lowercases email addresses as Synapse does, and
    /// drops duplicates.
    static func canonical(
        _ threepids: [(medium: String, address: String)]
    ) throws(MatrixError) -> [(medium: String, address: String)] {
        var canonical: [(medium: String, address: String)] = []
        for (medium, address) in threepids {
            let threepid: (medium: String, address: String)
            switch medium {
            case "email": threepid = (medium, address.lowercased())
            case "msisdn": threepid = (medium, address)
            default: throw MatrixError(.invalidParam, "'\(medium)' is not a valid value for 'medium'")
            }
            if !canonical.contains(where: { $0 == threepid }) { canonical.append(threepid) }
        }
        return canonical
    }
}
