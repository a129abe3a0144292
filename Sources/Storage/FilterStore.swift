import Logging
import PostgresNIO

/// Filters users upload for `/sync` and `/messages`, by user and ID.
public struct FilterStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores a filter (its canonical JSON) and returns its ID; a filter the user uploaded before
    /// keeps its first ID.
    public func create(userID: String, filterJSON: String) async throws -> Int64 {
        let rows = try await database.query(
            """
            WITH inserted AS (
                INSERT INTO user_filters (user_id, filter_json) VALUES (\(userID), \(filterJSON))
                ON CONFLICT (user_id, md5(filter_json)) DO NOTHING
                RETURNING filter_id
            )
            SELECT filter_id FROM inserted
            UNION ALL
            SELECT filter_id FROM user_filters WHERE user_id = \(userID) AND md5(filter_json) = md5(\(filterJSON))
            LIMIT 1
            """,
            label: "insert_user_filter"
        )
        for try await filterID in rows.decode(Int64.self) { return filterID }
        // Only reachable when a concurrent upload of the same filter was not committed yet.
        return try await create(userID: userID, filterJSON: filterJSON)
    }

    /// The canonical JSON of one of the user's filters.
    public func filterJSON(userID: String, filterID: Int64) async throws -> String? {
        let rows = try await database.query(
            "SELECT filter_json FROM user_filters WHERE user_id = \(userID) AND filter_id = \(filterID)",
            label: "select_user_filter"
        )
        for try await json in rows.decode(String.self) { return json }
        return nil
    }
}
