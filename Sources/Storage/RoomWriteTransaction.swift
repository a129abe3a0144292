import Foundation
import PostgresNIO

/// Where a room's next event goes: the room, its forward extremities and the deepest of them.
public struct RoomTip: Sendable, Equatable {
    public var room: RoomRecord
    /// Forward extremities, deepest first.
    public var extremities: [String]
    /// The greatest depth among the extremities; 0 for a room without events.
    public var depth: Int64
    /// The event an earlier attempt of the client transaction created, if asked for and seen.
    public var earlierEventID: String?
    /// The events filling the asked-for slots of the current state (empty slots are absent).
    public var state: [StateSlotKey: PersistedEvent]
}

/// A local event to append, with what it changes besides the events stream.
public struct LocalAppend: Sendable {
    public var event: NewEvent
    /// The slot a state event fills and, for `m.room.member`, the membership.
    public var stateChange: (slot: StateSlotKey, membership: String?)?
    /// The client transaction that created the event, to deduplicate retries.
    public var transaction: ClientTransactionKey?
    /// For a redaction that takes effect: the redacted event and its pruned JSON.
    public var redaction: (eventID: String, prunedJSON: String)?

    public init(
        event: NewEvent, stateChange: (slot: StateSlotKey, membership: String?)? = nil,
        transaction: ClientTransactionKey? = nil, redaction: (eventID: String, prunedJSON: String)? = nil
    ) {
        self.event = event
        self.stateChange = stateChange
        self.transaction = transaction
        self.redaction = redaction
    }
}

/// The reads and writes of one room inside its lock (``RoomStore/withRoomLock(_:_:)``).
///
/// Everything here runs in the lock's transaction, so what `append` writes is consistent with
/// what the reads returned: nobody else can move the room's extremities or state in between.
/// The event path is a handful of round trips: the lock, ``tip(transaction:state:)`` and
/// ``append(_:after:)`` (one statement for a message event).
public struct RoomWriteTransaction: Sendable {
    public let roomID: String
    let connection: PostgresConnection
    let store: RoomStore

    /// Creates the room's row, before its create event is appended, and returns it.
    public func createRoom(version: String, creator: String, isPublic: Bool) async throws -> RoomRecord {
        try await connection.query(
            """
            INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts)
            VALUES (\(roomID), \(version), \(creator), \(isPublic), \(unixMilliseconds()))
            """,
            logger: store.database.queryLogger("insert_room")
        )
        return RoomRecord(roomID: roomID, roomVersion: version, creator: creator, isPublic: isPublic, stateGroup: nil)
    }

    /// The room with its extremities, the events filling `slots` of its current state and, for
    /// `transaction`, the event of an earlier attempt, in one query; `nil` for an unknown room.
    public func tip(transaction: ClientTransactionKey?, state slots: [StateSlotKey]) async throws -> RoomTip? {
        let statement = SelectRoomTip(roomID: roomID, transaction: transaction, slots: slots)
        var tip: RoomTip?
        for try await (room, extremities, depth, earlier, event) in try await connection.execute(
            statement, logger: store.database.queryLogger("select_room_tip")
        ) {
            if tip == nil {
                tip = RoomTip(room: room, extremities: extremities, depth: depth, earlierEventID: earlier, state: [:])
            }
            if let event, let stateKey = event.stateKey {
                tip?.state[StateSlotKey(type: event.type, stateKey: stateKey)] = event
            }
        }
        return tip
    }

    /// Stored events by ID.
    public func events(_ eventIDs: [String]) async throws -> [String: PersistedEvent] {
        try await store.events(eventIDs, on: connection)
    }

    /// Appends an accepted local event after `room`'s current state and returns it with its
    /// stream position.
    ///
    /// A state event first gets its state group (a one-slot delta on the room's) and its place in
    /// the current state. Then one statement writes the event, its edges, the extremities, its
    /// state group, the client transaction and a redaction's effect, and advances the events
    /// stream head: it must stay the last statement before `COMMIT` (see ``StreamHead``).
    public func append(_ local: LocalAppend, after room: RoomRecord) async throws -> PersistedEvent {
        let event = local.event
        var group = room.stateGroup
        if let stateChange = local.stateChange {
            group = try await store.stateGroups.storeStateGroup(
                roomID: roomID, eventID: event.eventID, previous: room.stateGroup,
                delta: [stateChange.slot: event.eventID], on: connection
            )
            try await connection.query(
                """
                WITH state AS (
                    INSERT INTO current_state_events (room_id, type, state_key, event_id, membership)
                    VALUES (\(roomID), \(stateChange.slot.type), \(stateChange.slot.stateKey), \(event.eventID),
                            \(stateChange.membership))
                    ON CONFLICT (room_id, type, state_key)
                    DO UPDATE SET event_id = EXCLUDED.event_id, membership = EXCLUDED.membership
                )
                UPDATE rooms SET state_group = \(group) WHERE room_id = \(roomID)
                """,
                logger: store.database.queryLogger("update_current_state")
            )
        }
        let received = unixMilliseconds()
        let statement = AppendLocalEvent(local: local, roomID: roomID, stateGroup: group, receivedTimestamp: received)
        for try await position in try await connection.execute(statement, logger: store.database.queryLogger("append_local_event")) {
            return PersistedEvent(
                streamPosition: position, eventID: event.eventID, roomID: roomID, type: event.type,
                stateKey: event.stateKey, sender: event.sender, depth: event.depth,
                originServerTimestamp: event.originServerTimestamp, receivedTimestamp: received, json: event.json,
                rejectedReason: nil, outlier: false
            )
        }
        preconditionFailure("INSERT … RETURNING returned no row")
    }
}

// MARK: - Prepared statements of the event path
//
// Prepared once per connection: PostgreSQL then skips parsing and planning, which cost more than
// executing these statements.

/// The room, its extremities, some slots of its current state and an earlier transaction's
/// event (``RoomWriteTransaction/tip(transaction:state:)``): one row per state event found, the
/// room's columns repeated, or one row without an event.
struct SelectRoomTip: PostgresPreparedStatement {
    static let sql = """
        SELECT r.room_version, r.creator, r.is_public, r.state_group,
               COALESCE(x.ids, '{}'), COALESCE(x.depth, 0),
               (SELECT t.event_id FROM event_transactions AS t
                WHERE $5 AND t.user_id = $2 AND t.device_id = $3 AND t.txn_id = $4),
               s.*
        FROM rooms AS r
        LEFT JOIN LATERAL (
            SELECT array_agg(f.event_id ORDER BY e.depth DESC, f.event_id) AS ids, max(e.depth) AS depth
            FROM room_forward_extremities AS f JOIN events AS e USING (event_id)
            WHERE f.room_id = r.room_id
        ) AS x ON TRUE
        LEFT JOIN LATERAL (
            SELECT \(PersistedEvent.columns) FROM events
            WHERE events.event_id IN (
                SELECT c.event_id FROM current_state_events AS c
                JOIN unnest($6::text[], $7::text[]) AS slot(type, state_key)
                  ON c.type = slot.type AND c.state_key = slot.state_key
                WHERE c.room_id = r.room_id
            )
        ) AS s ON TRUE
        WHERE r.room_id = $1
        """
    typealias Row = (RoomRecord, [String], Int64, String?, PersistedEvent?)

    let roomID: String
    let transaction: ClientTransactionKey?
    let slots: [StateSlotKey]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(roomID)
        bindings.append(transaction?.userID ?? "")
        bindings.append(transaction?.deviceID ?? "")
        bindings.append(transaction?.transactionID ?? "")
        bindings.append(transaction != nil)
        bindings.append(slots.map(\.type))
        bindings.append(slots.map(\.stateKey))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        let room = RoomRecord(
            roomID: roomID, roomVersion: try cells[0].decode(String.self), creator: try cells[1].decode(String.self),
            isPublic: try cells[2].decode(Bool.self), stateGroup: try cells[3].decode(Int64?.self)
        )
        return (room, try cells[4].decode([String].self), try cells[5].decode(Int64.self),
                try cells[6].decode(String?.self), try PersistedEvent(cells, from: 7))
    }
}

/// Everything a local event writes besides its state, and its stream position, in one statement
/// that must be the last of its transaction (``RoomWriteTransaction/append(_:after:)``).
struct AppendLocalEvent: PostgresPreparedStatement {
    static let sql = """
        WITH \(StreamHead.events.advance(by: 1)),
        inserted AS (
            INSERT INTO events (event_id, room_id, stream_ordering, depth, type, state_key, sender,
                                origin_server_ts, received_ts, json, rejected_reason, outlier)
            SELECT $1, $2, head.position, $3, $4, $5, $6, $7, $8, $9, NULL, FALSE FROM head
            RETURNING stream_ordering
        ), edges AS (
            INSERT INTO event_edges (event_id, prev_event_id)
            SELECT $1, p FROM unnest($10::text[]) AS p
            ON CONFLICT DO NOTHING
        ), replaced AS (
            DELETE FROM room_forward_extremities WHERE room_id = $2 AND event_id = ANY($10::text[])
        ), extremity AS (
            INSERT INTO room_forward_extremities (room_id, event_id) VALUES ($2, $1)
        ), grouped AS (
            INSERT INTO event_to_state_groups (event_id, state_group)
            SELECT $1, $11::bigint WHERE $11::bigint IS NOT NULL
        ), txn AS (
            INSERT INTO event_transactions (user_id, device_id, txn_id, event_id, created_ts)
            SELECT $13, $14, $15, $1, $8 WHERE $12
        ), redacted AS (
            INSERT INTO redactions (event_id, redaction_id, pruned_json)
            SELECT $17, $1, $18 WHERE $16
            ON CONFLICT (event_id) DO NOTHING
        )
        SELECT stream_ordering FROM inserted
        """
    typealias Row = Int64

    let local: LocalAppend
    let roomID: String
    let stateGroup: Int64?
    let receivedTimestamp: Int64

    func makeBindings() -> PostgresBindings {
        let event = local.event
        var bindings = PostgresBindings(capacity: 18)
        bindings.append(event.eventID)
        bindings.append(roomID)
        bindings.append(event.depth)
        bindings.append(event.type)
        bindings.append(event.stateKey)
        bindings.append(event.sender)
        bindings.append(event.originServerTimestamp)
        bindings.append(receivedTimestamp)
        bindings.append(event.json)
        bindings.append(event.prevEventIDs)
        bindings.append(stateGroup)
        bindings.append(local.transaction != nil)
        bindings.append(local.transaction?.userID ?? "")
        bindings.append(local.transaction?.deviceID ?? "")
        bindings.append(local.transaction?.transactionID ?? "")
        bindings.append(local.redaction != nil)
        bindings.append(local.redaction?.eventID ?? "")
        bindings.append(local.redaction?.prunedJSON ?? "")
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}
