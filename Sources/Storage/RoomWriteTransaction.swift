import Foundation
import PostgresNIO

/// The reads and writes of one room inside its lock (``RoomStore/withRoomLock(_:_:)``).
///
/// Everything here runs in the lock's transaction, so what `append` writes is consistent with
/// what the reads returned: nobody else can move the room's extremities or state in between.
public struct RoomWriteTransaction: Sendable {
    public let roomID: String
    let connection: PostgresConnection
    let store: RoomStore

    /// The room's row; `nil` before ``createRoom(version:creator:isPublic:)``.
    public func room() async throws -> RoomRecord? {
        try await store.room(roomID, on: connection)
    }

    /// Creates the room's row; call before appending its create event.
    public func createRoom(version: String, creator: String, isPublic: Bool) async throws {
        try await connection.query(
            """
            INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts)
            VALUES (\(roomID), \(version), \(creator), \(isPublic), \(unixMilliseconds()))
            """,
            logger: store.database.queryLogger("insert_room")
        )
    }

    /// The room's forward extremities with their depths.
    public func forwardExtremities() async throws -> [(eventID: String, depth: Int64)] {
        let rows = try await connection.query(
            """
            SELECT f.event_id, e.depth FROM room_forward_extremities AS f JOIN events AS e USING (event_id)
            WHERE f.room_id = \(roomID) ORDER BY e.depth DESC, f.event_id
            """,
            logger: store.database.queryLogger("select_extremities_with_depth")
        )
        var extremities: [(String, Int64)] = []
        for try await row in rows.decode((String, Int64).self) { extremities.append(row) }
        return extremities
    }

    /// The events filling `slots` of the current state (slots without an event are absent).
    public func currentState(of slots: [StateSlotKey]) async throws -> [StateSlotKey: PersistedEvent] {
        guard !slots.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT c.type, c.state_key, c.event_id FROM current_state_events AS c
            JOIN unnest(\(slots.map(\.type))::text[], \(slots.map(\.stateKey))::text[]) AS s(type, state_key)
              ON c.type = s.type AND c.state_key = s.state_key
            WHERE c.room_id = \(roomID)
            """,
            logger: store.database.queryLogger("select_current_state_slots")
        )
        var eventIDs: [StateSlotKey: String] = [:]
        for try await (type, stateKey, eventID) in rows.decode((String, String, String).self) {
            eventIDs[StateSlotKey(type: type, stateKey: stateKey)] = eventID
        }
        let events = try await store.events(Array(eventIDs.values), on: connection)
        return eventIDs.compactMapValues { events[$0] }
    }

    /// Stored events by ID.
    public func events(_ eventIDs: [String]) async throws -> [String: PersistedEvent] {
        try await store.events(eventIDs, on: connection)
    }

    /// The event an earlier attempt of this client transaction created.
    public func event(for transaction: ClientTransactionKey) async throws -> PersistedEvent? {
        try await store.event(for: transaction, on: connection)
    }

    /// Appends an accepted event to the room: its state group, the current state, the client
    /// transaction, the DAG and the events stream, and returns it with its stream position.
    ///
    /// - Parameters:
    ///   - stateChange: the slot a state event fills and, for `m.room.member`, the membership.
    ///   - transaction: the client transaction that created the event, to deduplicate retries.
    ///   - redaction: for a redaction that takes effect, the redacted event and its pruned JSON.
    public func append(
        _ event: NewEvent, stateChange: (slot: StateSlotKey, membership: String?)?,
        transaction: ClientTransactionKey?, redaction: (eventID: String, prunedJSON: String)? = nil
    ) async throws -> PersistedEvent {
        let previousGroup = try await room()?.stateGroup
        var group = previousGroup
        if let stateChange {
            group = try await store.stateGroups.storeStateGroup(
                roomID: roomID, eventID: event.eventID, previous: previousGroup,
                delta: [stateChange.slot: event.eventID], on: connection
            )
            try await connection.query(
                """
                INSERT INTO current_state_events (room_id, type, state_key, event_id, membership)
                VALUES (\(roomID), \(stateChange.slot.type), \(stateChange.slot.stateKey), \(event.eventID),
                        \(stateChange.membership))
                ON CONFLICT (room_id, type, state_key)
                DO UPDATE SET event_id = EXCLUDED.event_id, membership = EXCLUDED.membership
                """,
                logger: store.database.queryLogger("upsert_current_state")
            )
            try await connection.query(
                "UPDATE rooms SET state_group = \(group) WHERE room_id = \(roomID)",
                logger: store.database.queryLogger("update_room_state_group")
            )
        }
        if let group {
            try await store.stateGroups.setStateGroup(group, forEvent: event.eventID, on: connection)
        }
        if let transaction {
            try await connection.query(
                """
                INSERT INTO event_transactions (user_id, device_id, txn_id, event_id, created_ts)
                VALUES (\(transaction.userID), \(transaction.deviceID), \(transaction.transactionID),
                        \(event.eventID), \(unixMilliseconds()))
                """,
                logger: store.database.queryLogger("insert_event_transaction")
            )
        }
        if let redaction {
            try await connection.query(
                """
                INSERT INTO redactions (event_id, redaction_id, pruned_json)
                VALUES (\(redaction.eventID), \(event.eventID), \(redaction.prunedJSON))
                ON CONFLICT (event_id) DO NOTHING
                """,
                logger: store.database.queryLogger("insert_redaction")
            )
        }
        // Last: takes the events stream head's lock until COMMIT (see EventStore).
        return try await store.events.persist([event], on: connection)[0]
    }

}
