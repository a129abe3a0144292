import Logging
import PostgresNIO

/// A cluster-wide stream whose positions increase in commit order: one row of `stream_heads`.
///
/// ## Why not a sequence (DESIGN.md invariant 1)
///
/// A reader that has seen position P and later asks for everything after P must never miss a row
/// that committed late with a smaller position. A PostgreSQL sequence cannot give that: `nextval`
/// is handed out at call time, and a transaction that took 5 may commit after one that took 6, so
/// a reader sees 6, moves its token past 5, and loses 5 for good.
///
/// Writers instead take their positions by bumping the stream's row in the same statement that
/// inserts the rows, as the **last statement before `COMMIT`** (``advance(by:)``). The `UPDATE`
/// takes the row's lock and holds it until the transaction ends, so a second writer blocks on that
/// row until the first has committed (or rolled back, returning its positions unused) and then
/// reads the new head. Positions are therefore allocated in commit order, and a reader that sees
/// position P already sees every position below P. A statement that allocates and then inserts
/// nothing (a receipt that would move backwards) leaves a gap, which readers do not mind.
///
/// The cost is one row lock per stream, held only for the final statement and the commit. If it
/// ever limits throughput, the upgrade path is Synapse's multi-writer scheme: per-writer positions
/// with in-flight tracking, readers stopping at the minimum position below which every writer has
/// finished.
public struct StreamHead: Sendable, Hashable {
    /// The stream's key in `stream_heads`; a fixed identifier, never user input.
    public let name: String

    private init(name: String) {
        self.name = name
    }

    /// Room events (`events.stream_ordering`).
    public static let events = StreamHead(name: "events")
    /// Account data changes (`account_data.stream_id`).
    public static let accountData = StreamHead(name: "account_data")
    /// Receipts (`receipts.stream_id`).
    public static let receipts = StreamHead(name: "receipts")
    /// Changes to users' devices and keys (`device_list_changes.stream_id`).
    public static let deviceLists = StreamHead(name: "device_lists")
    /// Messages sent to devices (`to_device_messages.stream_id`).
    public static let toDevice = StreamHead(name: "to_device")

    /// A `WITH` item named `head` that advances the stream by `count` and yields the new head:
    /// the statement's rows take `head.position - count + 1 … head.position`.
    ///
    /// The statement using it must be the last one of its transaction (see the type's documentation).
    ///
    ///     WITH \(unescaped: StreamHead.receipts.advance(by: 1))
    ///     INSERT INTO receipts (…, stream_id) SELECT …, head.position FROM head
    func advance(by count: Int64) -> String {
        advance(byParameter: String(count))
    }

    /// ``advance(by:)`` by an SQL expression, such as a statement parameter (`$3::bigint`).
    func advance(byParameter count: String) -> String {
        "head AS (UPDATE stream_heads SET position = position + \(count) WHERE stream = '\(name)' RETURNING position)"
    }

    /// The last position whose rows have committed; 0 before the first.
    func position(in database: Database) async throws -> Int64 {
        let rows = try await database.query(
            "SELECT position FROM stream_heads WHERE stream = \(name)",
            label: "select_stream_head"
        )
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }
}

/// The `stream_heads` row of a stream is missing: the schema was not migrated.
public struct StreamHeadMissing: Error, CustomStringConvertible {
    public let stream: StreamHead
    public var description: String { "stream_heads has no row for '\(stream.name)'; run trellis migrate" }
}
