import MatrixCore
import Storage

/// The user directory (`/user_directory/search`): local users a searcher may discover.
///
/// As Synapse does by default, a searcher finds the users who share a room with them and the
/// users joined to public rooms, matched case-insensitively on user ID or display name.
public struct UserDirectory: Sendable {
    let store: UserDirectoryStore

    /// The number of results when the client gives no limit, and the most served.
    public static let defaultLimit = 10
    public static let maximumLimit = 100

    public init(store: UserDirectoryStore) {
        self.store = store
    }

    /// Up to `limit` matching users, and whether there were more.
    public func search(
        _ term: String, limit: Int?, by requester: Requester
    ) async throws -> (results: [UserDirectoryEntry], limited: Bool) {
        let limit = min(max(limit ?? Self.defaultLimit, 0), Self.maximumLimit)
        let found = try await store.search(term, visibleTo: requester.userID.description, limit: limit + 1)
        return (Array(found.prefix(limit)), found.count > limit)
    }
}
