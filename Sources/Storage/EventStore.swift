import Foundation
import Logging
import PostgresNIO

/// An event to persist: the columns `EventStore` stores, taken apart from the PDU by the caller.
public struct NewEvent: Sendable, Equatable {
    public var eventID: String
    public var roomID: String
    public var type: String
    /// `nil` for message events; `""` is a valid state key.
    public var stateKey: String?
    public var sender: String
    /// The PDU's `depth`.
    public var depth: Int64
    /// The PDU's `origin_server_ts`, in milliseconds since the epoch.
    public var originServerTimestamp: Int64
    /// The PDU's `prev_events`.
    public var prevEventIDs: [String]
    /// The canonical JSON of the PDU, stored verbatim.
    public var json: String
    /// Why the auth rules rejected the event; `nil` when it was accepted.
    public var rejectedReason: String?
    /// Whether the event is stored without its place in the room DAG being known.
    public var outlier: Bool

    public init(
        eventID: String, roomID: String, type: String, stateKey: String? = nil, sender: String,
        depth: Int64, originServerTimestamp: Int64, prevEventIDs: [String], json: String,
        rejectedReason: String? = nil, outlier: Bool = false
    ) {
        self.eventID = eventID
        self.roomID = roomID
        self.type = type
        self.stateKey = stateKey
        self.sender = sender
        self.depth = depth
        self.originServerTimestamp = originServerTimestamp
        self.prevEventIDs = prevEventIDs
        self.json = json
        self.rejectedReason = rejectedReason
        self.outlier = outlier
    }
}

/// A row of `events`: an event together with its position in the events stream.
public struct PersistedEvent: Sendable, Equatable {
    /// The event's position in the cluster-wide events stream (`stream_ordering`).
    public var streamPosition: Int64
    public var eventID: String
    public var roomID: String
    public var type: String
    public var stateKey: String?
    public var sender: String
    public var depth: Int64
    public var originServerTimestamp: Int64
    /// When this server persisted the event, in milliseconds since the epoch.
    public var receivedTimestamp: Int64
    public var json: String
    public var rejectedReason: String?
    public var outlier: Bool
    /// The redaction that took effect on this event, if any; `json` is then the pruned event.
    public var redactedBy: String? = nil
    /// For a state event appended locally: the event it replaced in the room's current state.
    public var replacesState: String? = nil
}

extension PersistedEvent {
    /// The `events` columns that `decode` reads, in its order.
    /// A redacted event's `json` is its pruned form, and `redacted_by` names the redaction.
    static let columns = """
        events.stream_ordering, events.event_id, events.room_id, events.type, events.state_key, events.sender,
        events.depth, events.origin_server_ts, events.received_ts,
        COALESCE((SELECT pruned_json FROM redactions AS r WHERE r.event_id = events.event_id), events.json),
        events.rejected_reason, events.outlier,
        (SELECT redaction_id FROM redactions AS r WHERE r.event_id = events.event_id),
        events.replaces_state
        """

    /// The values of `columns`, in order.
    typealias Row = (
        Int64, String, String, String, String?, String, Int64, Int64, Int64, String, String?, Bool, String?, String?
    )

    init(_ row: Row) {
        self.init(
            streamPosition: row.0, eventID: row.1, roomID: row.2, type: row.3, stateKey: row.4,
            sender: row.5, depth: row.6, originServerTimestamp: row.7, receivedTimestamp: row.8,
            json: row.9, rejectedReason: row.10, outlier: row.11, redactedBy: row.12, replacesState: row.13
        )
    }

    /// The event in `columns` starting at cell `first` of a row that selects more than them;
    /// `nil` when those cells are `NULL` (an outer join that found no event).
    init?(_ cells: PostgresRandomAccessRow, from first: Int) throws {
        guard let position = try cells[first].decode(Int64?.self) else { return nil }
        self.init((
            position, try cells[first + 1].decode(String.self), try cells[first + 2].decode(String.self),
            try cells[first + 3].decode(String.self), try cells[first + 4].decode(String?.self),
            try cells[first + 5].decode(String.self), try cells[first + 6].decode(Int64.self),
            try cells[first + 7].decode(Int64.self), try cells[first + 8].decode(Int64.self),
            try cells[first + 9].decode(String.self), try cells[first + 10].decode(String?.self),
            try cells[first + 11].decode(Bool.self), try cells[first + 12].decode(String?.self),
            try cells[first + 13].decode(String?.self)
        ))
    }

    /// The events of rows selected with `columns`.
    static func decode(_ rows: PostgresRowSequence) async throws -> [PersistedEvent] {
        var events: [PersistedEvent] = []
        for try await row in rows.decode(Row.self) { events.append(PersistedEvent(row)) }
        return events
    }
}

/// Why `EventStore.persist` refused a batch. Nothing of the batch was stored.
public enum EventPersistenceError: Error, Equatable, CustomStringConvertible {
    /// These event IDs are already stored, or appear twice in the batch.
    case duplicateEvents([String])

    public var description: String {
        switch self {
        case .duplicateEvents(let ids): "events already persisted: \(ids.joined(separator: ", "))"
        }
    }
}

/// Room events, the DAG edges between them, forward extremities, and the events stream.
///
/// ## Stream positions (DESIGN.md invariant 1)
///
/// Every event gets a `stream_ordering` from ``StreamHead/events``, which increases in **commit
/// order across every process**: `persist` takes the positions in the statement that inserts the
/// event rows, as the last statement before `COMMIT` (``StreamHead`` explains why a sequence would
/// lose events). The edges and extremities are written before, so the head's row lock is held only
/// for the events insert and the commit; batching several events into one `persist` call
/// amortises it. A batch's positions are contiguous.
public struct EventStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores a batch of events in one transaction and returns them with their stream positions.
    ///
    /// Events get consecutive positions in array order, so pass them in topological order.
    /// Edges are stored for every event. Forward extremities change only for events that are
    /// neither outliers nor rejected: their `prev_events` stop being extremities, and they become
    /// extremities unless a stored (or batched) accepted event already names them as a prev event.
    ///
    /// Throws `EventPersistenceError.duplicateEvents` when an event ID is already stored or
    /// repeated in the batch; the transaction then rolls back and nothing of the batch remains.
    /// Per-room serialization (invariant 3) is the caller's job.
    public func persist(_ events: [NewEvent]) async throws -> [PersistedEvent] {
        guard !events.isEmpty else { return [] }
        var seen = Set<String>()
        let repeated = events.map(\.eventID).filter { !seen.insert($0).inserted }
        guard repeated.isEmpty else { throw EventPersistenceError.duplicateEvents(repeated) }

        return try await database.transaction(label: "store_events") { connection in
            try await persist(events, on: connection)
        }
    }

    /// `persist(_:)` inside the caller's transaction, which must commit right after it returns:
    /// the last statement takes the stream head's row lock (see the type's documentation).
    func persist(_ events: [NewEvent], on connection: PostgresConnection) async throws -> [PersistedEvent] {
        let receivedTimestamp = unixMilliseconds()
        try await insertEdges(of: events, on: connection)
        try await updateForwardExtremities(for: events, on: connection)
        return try await insertEventsAllocatingPositions(events, receivedTimestamp: receivedTimestamp, on: connection)
    }

    /// The last stream position whose event has committed; 0 before the first event.
    public func maxStreamPosition() async throws -> Int64 {
        try await StreamHead.events.position(in: database)
    }

    /// Up to `limit` events with a stream position above `position`, in stream order.
    public func events(after position: Int64, limit: Int) async throws -> [PersistedEvent] {
        let rows = try await database.query(
            """
            SELECT \(unescaped: PersistedEvent.columns) FROM events
            WHERE stream_ordering > \(position) ORDER BY stream_ordering LIMIT \(limit)
            """,
            label: "select_events_after"
        )
        return try await PersistedEvent.decode(rows)
    }

    /// The current forward extremities of a room, sorted by event ID.
    public func forwardExtremities(of roomID: String) async throws -> [String] {
        let rows = try await database.query(
            "SELECT unnest(extremities) AS event_id FROM room_tips WHERE room_id = \(roomID) ORDER BY event_id",
            label: "select_forward_extremities"
        )
        var eventIDs: [String] = []
        for try await eventID in rows.decode(String.self) { eventIDs.append(eventID) }
        return eventIDs
    }

    // MARK: - Steps of `persist`, each inside its transaction

    /// One `event_edges` row per prev event of every event in the batch.
    private func insertEdges(of events: [NewEvent], on connection: PostgresConnection) async throws {
        let edges = events.flatMap { event in event.prevEventIDs.map { (event.eventID, $0) } }
        guard !edges.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO event_edges (event_id, prev_event_id)
            SELECT * FROM unnest(\(edges.map(\.0))::text[], \(edges.map(\.1))::text[])
            ON CONFLICT DO NOTHING
            """,
            logger: database.queryLogger("insert_event_edges")
        )
    }

    /// Removes the batch's prev events from the extremities and adds the batch's childless events.
    private func updateForwardExtremities(for events: [NewEvent], on connection: PostgresConnection) async throws {
        let inDAG = events.filter { !$0.outlier && $0.rejectedReason == nil }
        guard !inDAG.isEmpty else { return }
        let replaced = inDAG.flatMap { event in event.prevEventIDs.map { (event.roomID, $0) } }
        let referencedInBatch = Set(replaced.map(\.1))
        let candidates = inDAG.filter { !referencedInBatch.contains($0.eventID) }
        // An event that arrives after one of its children (backfill) is no extremity.
        try await connection.query(
            """
            WITH replaced AS (
                SELECT * FROM unnest(\(replaced.map(\.0))::text[], \(replaced.map(\.1))::text[]) AS p(room_id, event_id)
            ), added AS (
                SELECT c.room_id, c.event_id
                FROM unnest(\(candidates.map(\.roomID))::text[], \(candidates.map(\.eventID))::text[])
                     AS c(room_id, event_id)
                WHERE NOT EXISTS (
                    SELECT 1 FROM event_edges AS e JOIN events AS child ON child.event_id = e.event_id
                    WHERE e.prev_event_id = c.event_id AND NOT child.outlier AND child.rejected_reason IS NULL
                )
            ), touched AS (
                SELECT room_id FROM replaced UNION SELECT room_id FROM added
            ), next AS (
                SELECT t.room_id, x.event_id FROM room_tips AS t, unnest(t.extremities) AS x(event_id)
                WHERE t.room_id IN (SELECT room_id FROM touched)
                EXCEPT SELECT room_id, event_id FROM replaced
                UNION SELECT room_id, event_id FROM added
            )
            INSERT INTO room_tips (room_id, extremities)
            SELECT r.room_id, COALESCE(
                (SELECT array_agg(n.event_id ORDER BY n.event_id) FROM next AS n WHERE n.room_id = r.room_id), '{}'
            )
            FROM touched AS r
            ON CONFLICT (room_id) DO UPDATE SET extremities = EXCLUDED.extremities
            """,
            logger: database.queryLogger("update_forward_extremities")
        )
    }

    /// Allocates the batch's stream positions and inserts its event rows, in one statement.
    ///
    /// This must stay the last statement before `COMMIT`: advancing ``StreamHead/events`` locks its
    /// row until the transaction ends, which is what makes positions follow commit order. The batch
    /// takes `head+1 … head+n` in order.
    private func insertEventsAllocatingPositions(
        _ events: [NewEvent], receivedTimestamp: Int64, on connection: PostgresConnection
    ) async throws -> [PersistedEvent] {
        let count = Int64(events.count)
        let rows = try await connection.query(
            """
            WITH \(unescaped: StreamHead.events.advance(by: count))
            INSERT INTO events (event_id, room_id, stream_ordering, depth, type, state_key, sender,
                                origin_server_ts, received_ts, json, rejected_reason, outlier)
            SELECT b.event_id, b.room_id, head.position - \(count) + b.ordinal, b.depth, b.type,
                   CASE WHEN b.has_state_key THEN b.state_key END, b.sender, b.origin_server_ts,
                   \(receivedTimestamp), b.json,
                   CASE WHEN b.rejected THEN b.rejected_reason END, b.outlier
            FROM head, unnest(
                \(events.map(\.eventID))::text[], \(events.map(\.roomID))::text[],
                \(events.map(\.depth))::bigint[], \(events.map(\.type))::text[],
                \(events.map { $0.stateKey != nil })::boolean[], \(events.map { $0.stateKey ?? "" })::text[],
                \(events.map(\.sender))::text[], \(events.map(\.originServerTimestamp))::bigint[],
                \(events.map(\.json))::text[],
                \(events.map { $0.rejectedReason != nil })::boolean[], \(events.map { $0.rejectedReason ?? "" })::text[],
                \(events.map(\.outlier))::boolean[]
            ) WITH ORDINALITY AS b(event_id, room_id, depth, type, has_state_key, state_key, sender,
                                   origin_server_ts, json, rejected, rejected_reason, outlier, ordinal)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, stream_ordering
            """,
            logger: database.queryLogger("insert_events")
        )
        var positions: [String: Int64] = [:]
        for try await (eventID, position) in rows.decode((String, Int64).self) { positions[eventID] = position }
        var persisted: [PersistedEvent] = []
        var duplicates: [String] = []
        for event in events {
            guard let position = positions[event.eventID] else {
                duplicates.append(event.eventID)
                continue
            }
            persisted.append(PersistedEvent(
                streamPosition: position, eventID: event.eventID, roomID: event.roomID,
                type: event.type, stateKey: event.stateKey, sender: event.sender, depth: event.depth,
                originServerTimestamp: event.originServerTimestamp, receivedTimestamp: receivedTimestamp,
                json: event.json, rejectedReason: event.rejectedReason, outlier: event.outlier
            ))
        }
        guard duplicates.isEmpty else { throw EventPersistenceError.duplicateEvents(duplicates) }
        return persisted
    }

}
