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
/// The event path is a handful of round trips: the lock, ``tip(transaction:)``,
/// ``currentState(of:)``, and ``append(_:after:)`` (one statement for a message event).
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

    /// The room with its extremities and, for `transaction`, the event of an earlier attempt,
    /// in one query; `nil` for a room this server does not know.
    public func tip(transaction: ClientTransactionKey?) async throws -> RoomTip? {
        let rows = try await connection.query(
            """
            SELECT r.room_version, r.creator, r.is_public, r.state_group,
                   COALESCE(x.ids, '{}'), COALESCE(x.depth, 0),
                   (SELECT t.event_id FROM event_transactions AS t
                    WHERE t.user_id = \(transaction?.userID ?? "") AND t.device_id = \(transaction?.deviceID ?? "")
                      AND t.txn_id = \(transaction?.transactionID ?? "") AND \(transaction != nil))
            FROM rooms AS r LEFT JOIN LATERAL (
                SELECT array_agg(f.event_id ORDER BY e.depth DESC, f.event_id) AS ids, max(e.depth) AS depth
                FROM room_forward_extremities AS f JOIN events AS e USING (event_id)
                WHERE f.room_id = r.room_id
            ) AS x ON TRUE
            WHERE r.room_id = \(roomID)
            """,
            logger: store.database.queryLogger("select_room_tip")
        )
        let columns = (String, String, Bool, Int64?, [String], Int64, String?).self
        for try await row in rows.decode(columns) {
            let room = RoomRecord(roomID: roomID, roomVersion: row.0, creator: row.1, isPublic: row.2, stateGroup: row.3)
            return RoomTip(room: room, extremities: row.4, depth: row.5, earlierEventID: row.6)
        }
        return nil
    }

    /// The events filling `slots` of the current state (slots without an event are absent).
    public func currentState(of slots: [StateSlotKey]) async throws -> [StateSlotKey: PersistedEvent] {
        guard !slots.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PersistedEvent.columns) FROM events
            WHERE event_id IN (
                SELECT c.event_id FROM current_state_events AS c
                JOIN unnest(\(slots.map(\.type))::text[], \(slots.map(\.stateKey))::text[]) AS s(type, state_key)
                  ON c.type = s.type AND c.state_key = s.state_key
                WHERE c.room_id = \(roomID)
            )
            """,
            logger: store.database.queryLogger("select_current_state_slots")
        )
        var state: [StateSlotKey: PersistedEvent] = [:]
        for event in try await PersistedEvent.decode(rows) {
            if let stateKey = event.stateKey { state[StateSlotKey(type: event.type, stateKey: stateKey)] = event }
        }
        return state
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
        let rows = try await connection.query(
            """
            WITH \(unescaped: StreamHead.events.advance(by: 1)),
            inserted AS (
                INSERT INTO events (event_id, room_id, stream_ordering, depth, type, state_key, sender,
                                    origin_server_ts, received_ts, json, rejected_reason, outlier)
                SELECT \(event.eventID), \(roomID), head.position, \(event.depth), \(event.type), \(event.stateKey),
                       \(event.sender), \(event.originServerTimestamp), \(received), \(event.json), NULL, FALSE
                FROM head
                RETURNING stream_ordering
            ), edges AS (
                INSERT INTO event_edges (event_id, prev_event_id)
                SELECT \(event.eventID), p FROM unnest(\(event.prevEventIDs)::text[]) AS p
                ON CONFLICT DO NOTHING
            ), replaced AS (
                DELETE FROM room_forward_extremities
                WHERE room_id = \(roomID) AND event_id = ANY(\(event.prevEventIDs)::text[])
            ), extremity AS (
                INSERT INTO room_forward_extremities (room_id, event_id) VALUES (\(roomID), \(event.eventID))
            ), grouped AS (
                INSERT INTO event_to_state_groups (event_id, state_group)
                SELECT \(event.eventID), \(group)::bigint WHERE \(group != nil)
            ), txn AS (
                INSERT INTO event_transactions (user_id, device_id, txn_id, event_id, created_ts)
                SELECT \(local.transaction?.userID ?? ""), \(local.transaction?.deviceID ?? ""),
                       \(local.transaction?.transactionID ?? ""), \(event.eventID), \(received)
                WHERE \(local.transaction != nil)
            ), redacted AS (
                INSERT INTO redactions (event_id, redaction_id, pruned_json)
                SELECT \(local.redaction?.eventID ?? ""), \(event.eventID), \(local.redaction?.prunedJSON ?? "")
                WHERE \(local.redaction != nil)
                ON CONFLICT (event_id) DO NOTHING
            )
            SELECT stream_ordering FROM inserted
            """,
            logger: store.database.queryLogger("append_local_event")
        )
        for try await position in rows.decode(Int64.self) {
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
