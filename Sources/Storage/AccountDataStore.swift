import Logging
import PostgresNIO

/// Per-user account data, global or for one room, each change at a new position of the
/// account data stream (``StreamHead/accountData``).
///
/// Contents are JSON objects stored as the text the caller gives; the store does not parse them.
public struct AccountDataStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores (or replaces) one type of the user's account data, for `roomID` or global when `nil`,
    /// and returns the change's stream position.
    ///
    /// One statement, so the stream head's row lock is taken last and held only for the commit.
    public func put(userID: String, roomID: String?, type: String, content: String) async throws -> Int64 {
        let rows = try await database.query(
            """
            WITH \(unescaped: StreamHead.accountData.advance(by: 1))
            INSERT INTO account_data (user_id, room_id, type, content, stream_id)
            SELECT \(userID), \(roomID ?? ""), \(type), \(content), head.position FROM head
            ON CONFLICT (user_id, room_id, type)
            DO UPDATE SET content = EXCLUDED.content, stream_id = EXCLUDED.stream_id
            RETURNING stream_id
            """,
            label: "upsert_account_data"
        )
        for try await position in rows.decode(Int64.self) { return position }
        throw StreamHeadMissing(stream: .accountData)
    }

    /// The content of one type of the user's account data, for `roomID` or global when `nil`.
    public func content(userID: String, roomID: String?, type: String) async throws -> String? {
        let rows = try await database.query(
            """
            SELECT content FROM account_data
            WHERE user_id = \(userID) AND room_id = \(roomID ?? "") AND type = \(type)
            """,
            label: "select_account_data"
        )
        for try await content in rows.decode(String.self) { return content }
        return nil
    }
}
