import Logging
import PostgresNIO

/// A user as the user directory shows them.
public struct UserDirectoryEntry: Sendable, Equatable {
    public var userID: String
    public var displayName: String?
    public var avatarURL: String?
}

/// Searches of local users visible to a searcher.
public struct UserDirectoryStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Up to `limit` active users whose ID or display name contains `term` (case-insensitive) and
    /// who share a joined room with `searcher` or are joined to a public room (join rule `public`
    /// or history `world_readable`), by display name then user ID.
    public func search(_ term: String, visibleTo searcher: String, limit: Int) async throws -> [UserDirectoryEntry] {
        let pattern = term.containsPattern
        let rows = try await database.query(
            """
            WITH joined AS (
                SELECT room_id, state_key AS user_id FROM current_state_events
                WHERE type = 'm.room.member' AND membership = 'join'
            ), public_rooms AS (
                SELECT c.room_id FROM current_state_events AS c JOIN events AS e USING (event_id)
                WHERE c.state_key = ''
                  AND ((c.type = 'm.room.join_rules' AND e.json::jsonb -> 'content' ->> 'join_rule' = 'public')
                    OR (c.type = 'm.room.history_visibility'
                        AND e.json::jsonb -> 'content' ->> 'history_visibility' = 'world_readable'))
            ), visible AS (
                SELECT theirs.user_id FROM joined AS theirs JOIN joined AS mine USING (room_id)
                WHERE mine.user_id = \(searcher)
                UNION
                SELECT user_id FROM joined WHERE room_id IN (SELECT room_id FROM public_rooms)
            )
            SELECT u.user_id, u.displayname, u.avatar_url FROM users AS u
            WHERE NOT u.deactivated
              AND (lower(u.user_id) LIKE \(pattern) OR lower(u.displayname) LIKE \(pattern))
              AND u.user_id IN (SELECT user_id FROM visible)
            ORDER BY lower(coalesce(u.displayname, u.user_id)), u.user_id
            LIMIT \(limit)
            """,
            label: "search_user_directory"
        )
        var entries: [UserDirectoryEntry] = []
        for try await (userID, name, avatar) in rows.decode((String, String?, String?).self) {
            entries.append(UserDirectoryEntry(userID: userID, displayName: name, avatarURL: avatar))
        }
        return entries
    }
}
