import Logging
import PostgresNIO

/// A receipt to store: a user has read up to an event.
public struct NewReceipt: Sendable, Equatable {
    public var roomID: String
    /// `m.read` or `m.read.private`.
    public var type: String
    public var userID: String
    /// The thread root's event ID or `main`; `nil` for an unthreaded receipt.
    public var threadID: String?
    public var eventID: String
    /// The event's position in the events stream: a receipt only ever moves forward.
    public var eventStreamPosition: Int64
    /// When the receipt was sent, in milliseconds since the epoch.
    public var timestamp: Int64

    public init(
        roomID: String, type: String, userID: String, threadID: String?, eventID: String,
        eventStreamPosition: Int64, timestamp: Int64
    ) {
        self.roomID = roomID
        self.type = type
        self.userID = userID
        self.threadID = threadID
        self.eventID = eventID
        self.eventStreamPosition = eventStreamPosition
        self.timestamp = timestamp
    }
}

/// The latest receipt of each user, receipt type and thread in each room, each change at a new
/// position of the receipts stream (``StreamHead/receipts``).
public struct ReceiptStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores a receipt and returns its stream position, or `nil` when the user's receipt of that
    /// type and thread already points at the same or a later event (nothing changes then). A
    /// read receipt also deletes the user's push actions it covers (`unread_notifications`).
    ///
    /// One statement, so the stream head's row lock is taken last and held only for the commit.
    public func put(_ receipt: NewReceipt) async throws -> Int64? {
        let rows = try await database.query(
            """
            WITH read AS (
                DELETE FROM event_push_actions AS a USING events AS e
                WHERE \(receipt.type) IN ('m.read', 'm.read.private') AND \(receipt.threadID ?? "") IN ('', 'main')
                  AND a.user_id = \(receipt.userID) AND a.room_id = \(receipt.roomID) AND e.event_id = a.event_id
                  AND e.stream_ordering <= \(receipt.eventStreamPosition)
            ), \(unescaped: StreamHead.receipts.advance(by: 1))
            INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, ts,
                                  stream_id)
            SELECT \(receipt.roomID), \(receipt.type), \(receipt.userID), \(receipt.threadID ?? ""), \(receipt.eventID),
                   \(receipt.eventStreamPosition), \(receipt.timestamp), head.position
            FROM head
            ON CONFLICT (room_id, receipt_type, user_id, thread_id)
            DO UPDATE SET event_id = EXCLUDED.event_id, event_stream_ordering = EXCLUDED.event_stream_ordering,
                          ts = EXCLUDED.ts, stream_id = EXCLUDED.stream_id
            WHERE receipts.event_stream_ordering < EXCLUDED.event_stream_ordering
            RETURNING stream_id
            """,
            label: "upsert_receipt"
        )
        for try await position in rows.decode(Int64.self) { return position }
        return nil
    }
}
