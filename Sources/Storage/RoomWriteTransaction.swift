import Foundation
import MatrixCore
import PostgresNIO

/// Where a room's next event goes: the room, its forward extremities and the deepest of them.
public struct RoomTip: Sendable, Equatable {
    public var room: RoomRecord
    /// Forward extremities, deepest first.
    public var extremities: [String]
    /// The greatest depth among the extremities; 0 for a room without events.
    public var depth: Int64
    /// The events earlier attempts of the asked-for client transactions created, for those seen.
    public var earlierEvents: [ClientTransactionKey: String]
    /// The events filling the asked-for slots of the current state (empty slots are absent).
    public var state: [StateSlotKey: PersistedEvent]
}

/// A local event to append, with what it changes besides the events stream.
public struct LocalAppend: Sendable {
    public var event: NewEvent
    /// The slot a state event fills and, for `m.room.member`, the membership.
    public var stateChange: (slot: StateSlotKey, membership: String?)?
    /// For a state event: the event that filled its slot before it, if any.
    public var replacedState: String?
    /// For a member event: whether it keeps the membership of the event it replaces (a profile
    /// change), so the membership's start stays where it was.
    public var keepsMembership: Bool
    /// The client transaction that created the event, to deduplicate retries.
    public var transaction: ClientTransactionKey?
    /// For a redaction that takes effect: the redacted event and its pruned JSON.
    public var redaction: (eventID: String, prunedJSON: String)?
    /// The members the event notifies, and whether it highlights for each.
    public var notified: [(userID: String, highlight: Bool)]

    public init(
        event: NewEvent, stateChange: (slot: StateSlotKey, membership: String?)? = nil, replacedState: String? = nil,
        keepsMembership: Bool = false, transaction: ClientTransactionKey? = nil, redaction: (eventID: String, prunedJSON: String)? = nil,
        notified: [(userID: String, highlight: Bool)] = []
    ) {
        self.event = event
        self.stateChange = stateChange
        self.replacedState = replacedState
        self.keepsMembership = keepsMembership
        self.transaction = transaction
        self.redaction = redaction
        self.notified = notified
    }
}

/// Local events to append to one room, in order, after the room's current state.
public struct RoomAppend: Sendable {
    /// The room as its tip was read in this transaction.
    public var room: RoomRecord
    public var events: [LocalAppend]
    /// The room's forward extremities once the events are appended: its last event and the
    /// extremities no event named.
    public var extremities: [String]

    public init(room: RoomRecord, events: [LocalAppend], extremities: [String]) {
        self.room = room
        self.events = events
        self.extremities = extremities
    }
}

/// The reads and writes of some rooms inside their locks (``RoomStore/withRoomLocks(_:_:)``).
///
/// Everything here runs in the locks' transaction, so what `append` writes is consistent with
/// what the reads returned: nobody else can move the rooms' extremities or state in between.
/// The event path is a handful of round trips whatever the number of events: the locks, one
/// ``tip(of:transactions:state:)`` per room and one ``append(_:)``.
public struct RoomWriteTransaction: Sendable {
    /// The rooms whose locks the transaction holds.
    public let roomIDs: Set<String>
    let connection: PostgresConnection
    let store: RoomStore

    /// Creates the room's row, before its create event is appended, and returns it; `nil` when a
    /// room with this ID exists already.
    public func createRoom(_ roomID: String, version: String, creator: String, isPublic: Bool) async throws
        -> RoomRecord? {
        precondition(roomIDs.contains(roomID), "createRoom outside the room's lock")
        let rows = try await connection.query(
            """
            INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts)
            VALUES (\(roomID), \(version), \(creator), \(isPublic), \(unixMilliseconds()))
            ON CONFLICT (room_id) DO NOTHING
            RETURNING room_id
            """,
            logger: store.database.queryLogger("insert_room")
        )
        for try await _ in rows {
            return RoomRecord(roomID: roomID, roomVersion: version, creator: creator, isPublic: isPublic, stateGroup: nil)
        }
        return nil
    }

    /// The room with its extremities, the events filling `slots` of its current state and, for
    /// `transactions`, the events of earlier attempts, in one query; `nil` for an unknown room.
    public func tip(of roomID: String, transactions: [ClientTransactionKey], state slots: [StateSlotKey])
        async throws -> RoomTip? {
        precondition(roomIDs.contains(roomID), "tip read outside the room's lock")
        let statement = SelectRoomTip(roomID: roomID, transactions: transactions, slots: slots)
        var tip: RoomTip?
        for try await (room, extremities, depth, earlier, event) in try await connection.execute(
            statement, logger: store.database.queryLogger("select_room_tip")
        ) {
            if tip == nil {
                tip = RoomTip(room: room, extremities: extremities, depth: depth, earlierEvents: earlier, state: [:])
            }
            if let event, let stateKey = event.stateKey {
                tip?.state[StateSlotKey(type: event.type, stateKey: stateKey)] = event
            }
        }
        return tip
    }

    /// The room's joined members with their display names, for the push rules of its events.
    public func joinedMembers(of roomID: String) async throws -> [(userID: String, displayName: String?)] {
        precondition(roomIDs.contains(roomID), "members read outside the room's lock")
        let rows = try await connection.query(
            """
            SELECT state_key, display_name_json FROM current_state_events
            WHERE room_id = \(roomID) AND type = 'm.room.member' AND membership = 'join'
            """,
            logger: store.database.queryLogger("select_joined_members_for_push")
        )
        // The display name is stored as JSON text: TEXT (and jsonb) cannot hold the `\u0000` a
        // name may contain, and one such member would fail every event of the room.
        var members: [(userID: String, displayName: String?)] = []
        for try await (userID, displayName) in rows.decode((String, String?).self) {
            members.append((userID, displayName.flatMap { try? JSONValue(parsing: $0) }?.stringValue))
        }
        return members
    }

    /// Stores whom the events notify. Not part of the events statement, which holds the events
    /// stream's lock (see ``StreamHead``): a message to a large room notifies thousands.
    private func insertPushActions(of locals: [LocalAppend]) async throws {
        let notified = locals.flatMap { local in local.notified.map { (local.event, $0) } }
        guard !notified.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO event_push_actions (user_id, room_id, event_id, highlight)
            SELECT * FROM unnest(\(notified.map(\.1.userID))::text[], \(notified.map(\.0.roomID))::text[],
                                 \(notified.map(\.0.eventID))::text[], \(notified.map(\.1.highlight))::boolean[])
            """,
            logger: store.database.queryLogger("insert_push_actions")
        )
    }

    /// Stored events by ID.
    public func events(_ eventIDs: [String]) async throws -> [String: PersistedEvent] {
        try await store.events(eventIDs, on: connection)
    }

    /// Appends accepted local events to their rooms and returns them with their stream
    /// positions, in the order of `appends` and of their events.
    ///
    /// Each state event first gets its state group, a one-slot delta on the group before it. Then
    /// one statement writes the events, their edges, the extremities, state groups, current state,
    /// client transactions and redactions' effects, and advances the events stream head by the
    /// number of events: it must stay the last statement before `COMMIT` (see ``StreamHead``).
    /// Each event's `prevEventIDs` must name only its room's extremities or events before it,
    /// and each append's `extremities` must follow from them.
    public func append(_ appends: [RoomAppend]) async throws -> [PersistedEvent] {
        var rows: [AppendLocalEvents.Event] = []
        var roomStateGroups: [(roomID: String, group: Int64)] = []
        for append in appends {
            let roomID = append.room.roomID
            precondition(roomIDs.contains(roomID), "append outside the room's lock")
            var group = append.room.stateGroup
            for local in append.events {
                if let stateChange = local.stateChange {
                    group = try await store.stateGroups.storeStateGroup(
                        roomID: roomID, eventID: local.event.eventID, previous: group,
                        delta: [stateChange.slot: local.event.eventID], on: connection
                    )
                }
                rows.append(AppendLocalEvents.Event(local: local, stateGroup: group))
            }
            if let group, group != append.room.stateGroup { roomStateGroups.append((roomID, group)) }
        }
        guard !rows.isEmpty else { return [] }
        try await insertPushActions(of: rows.map(\.local))
        let received = unixMilliseconds()
        let statement = AppendLocalEvents(
            events: rows, roomStateGroups: roomStateGroups,
            extremities: appends.flatMap { append in append.extremities.map { (append.room.roomID, $0) } },
            receivedTimestamp: received
        )
        var positions: [String: Int64] = [:]
        for try await (eventID, position) in try await connection.execute(
            statement, logger: store.database.queryLogger("append_local_events")
        ) {
            positions[eventID] = position
        }
        return try rows.map { row in
            let event = row.local.event
            guard let position = positions[event.eventID] else {
                throw RoomWriteError.notAppended(eventID: event.eventID)
            }
            return PersistedEvent(
                streamPosition: position, eventID: event.eventID, roomID: event.roomID, type: event.type,
                stateKey: event.stateKey, sender: event.sender, depth: event.depth,
                originServerTimestamp: event.originServerTimestamp, receivedTimestamp: received, json: event.json,
                rejectedReason: nil, outlier: false, replacesState: row.local.replacedState
            )
        }
    }
}

/// An append's statement did not return an event it was given.
public enum RoomWriteError: Error, Equatable {
    case notAppended(eventID: String)
}

// MARK: - Prepared statements of the event path
//
// Prepared once per connection: PostgreSQL then skips parsing and planning, which cost more than
// executing these statements.

/// The room, its extremities, some slots of its current state and earlier transactions' events
/// (``RoomWriteTransaction/tip(transactions:state:)``): one row per state event found, the room's
/// columns repeated, or one row without an event.
struct SelectRoomTip: PostgresPreparedStatement {
    static let sql = """
        SELECT r.room_version, r.creator, r.is_public, r.state_group,
               COALESCE(x.ids, '{}'), COALESCE(x.depth, 0),
               COALESCE(t.ordinals, '{}'), COALESCE(t.event_ids, '{}'),
               s.*
        FROM rooms AS r
        LEFT JOIN room_tips AS tip ON tip.room_id = r.room_id
        LEFT JOIN LATERAL (
            SELECT array_agg(e.event_id ORDER BY e.depth DESC, e.event_id) AS ids, max(e.depth) AS depth
            FROM events AS e WHERE e.event_id = ANY(tip.extremities)
        ) AS x ON TRUE
        LEFT JOIN LATERAL (
            SELECT array_agg(k.ordinal) AS ordinals, array_agg(t.event_id) AS event_ids
            FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(user_id, device_id, txn_id, ordinal)
            JOIN event_transactions AS t USING (user_id, device_id, txn_id)
        ) AS t ON TRUE
        LEFT JOIN LATERAL (
            SELECT \(PersistedEvent.columns) FROM events
            WHERE events.event_id IN (
                SELECT c.event_id FROM current_state_events AS c
                JOIN unnest($5::text[], $6::text[]) AS slot(type, state_key)
                  ON c.type = slot.type AND c.state_key = slot.state_key
                WHERE c.room_id = r.room_id
            )
        ) AS s ON TRUE
        WHERE r.room_id = $1
        """
    typealias Row = (RoomRecord, [String], Int64, [ClientTransactionKey: String], PersistedEvent?)

    let roomID: String
    let transactions: [ClientTransactionKey]
    let slots: [StateSlotKey]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(roomID)
        bindings.append(transactions.map(\.userID))
        bindings.append(transactions.map(\.deviceID))
        bindings.append(transactions.map(\.transactionID))
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
        let ordinals = try cells[6].decode([Int64].self)
        let eventIDs = try cells[7].decode([String].self)
        let earlier = Dictionary(zip(ordinals.map { transactions[Int($0) - 1] }, eventIDs),
                                 uniquingKeysWith: { first, _ in first })
        return (room, try cells[4].decode([String].self), try cells[5].decode(Int64.self), earlier,
                try PersistedEvent(cells, from: 8))
    }
}

/// Everything a batch of local events writes besides their state groups, and their stream
/// positions, in one statement that must be the last of its transaction
/// (``RoomWriteTransaction/append(_:)``).
///
/// Each array parameter holds one element per event, or per edge, state event, room, transaction,
/// redaction or extremity.
struct AppendLocalEvents: PostgresPreparedStatement {
    static let sql = """
        WITH \(StreamHead.events.advance(byParameter: "$10::bigint")),
        batch AS (
            SELECT e.*, head.position - $10::bigint + e.ordinal AS stream_ordering
            FROM head, unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                              $8::text[], $9::bigint[], $29::text[])
                 WITH ORDINALITY AS e(event_id, room_id, depth, type, state_key, sender, origin_server_ts, json,
                                      state_group, replaces_state, ordinal)
        ), inserted AS (
            INSERT INTO events (event_id, room_id, stream_ordering, depth, type, state_key, sender,
                                origin_server_ts, received_ts, json, rejected_reason, outlier, replaces_state)
            SELECT event_id, room_id, stream_ordering, depth, type,
                   CASE WHEN event_id = ANY($14::text[]) THEN state_key END,
                   sender, origin_server_ts, $11, json, NULL, FALSE, NULLIF(replaces_state, '')
            FROM batch
            RETURNING event_id, stream_ordering
        ), edges AS (
            INSERT INTO event_edges (event_id, prev_event_id)
            SELECT * FROM unnest($12::text[], $13::text[])
            ON CONFLICT DO NOTHING
        ), tips AS (
            INSERT INTO room_tips (room_id, extremities)
            SELECT room_id, array_agg(event_id ORDER BY event_id)
            FROM unnest($27::text[], $28::text[]) AS x(room_id, event_id) GROUP BY room_id
            ON CONFLICT (room_id) DO UPDATE SET extremities = EXCLUDED.extremities
        ), grouped AS (
            INSERT INTO event_to_state_groups (event_id, state_group)
            SELECT event_id, state_group FROM batch WHERE state_group > 0
        ), state AS (
            -- A slot's last event of the batch wins; a membership begins at the batch's last member
            -- event of the slot that changed it, or stays where it began.
            INSERT INTO current_state_events (room_id, type, state_key, event_id, membership, display_name_json,
                                              membership_since)
            SELECT DISTINCT ON (b.room_id, s.type, s.state_key) b.room_id, s.type, s.state_key, s.event_id,
                   NULLIF(s.membership, ''),
                   CASE WHEN s.type = 'm.room.member' THEN (b.json::json -> 'content' -> 'displayname')::text END,
                   max(CASE WHEN s.type = 'm.room.member' AND NOT s.keeps_membership THEN b.stream_ordering END)
                       OVER (PARTITION BY b.room_id, s.type, s.state_key)
            FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $30::boolean[])
                 AS s(event_id, type, state_key, membership, keeps_membership)
            JOIN batch AS b USING (event_id)
            ORDER BY b.room_id, s.type, s.state_key, b.ordinal DESC
            ON CONFLICT (room_id, type, state_key)
            DO UPDATE SET event_id = EXCLUDED.event_id, membership = EXCLUDED.membership,
                          display_name_json = EXCLUDED.display_name_json,
                          membership_since = COALESCE(EXCLUDED.membership_since, current_state_events.membership_since)
        ), room_state AS (
            UPDATE rooms SET state_group = g.state_group
            FROM unnest($18::text[], $19::bigint[]) AS g(room_id, state_group)
            WHERE rooms.room_id = g.room_id
        ), txn AS (
            INSERT INTO event_transactions (user_id, device_id, txn_id, event_id, created_ts)
            SELECT user_id, device_id, txn_id, event_id, $11
            FROM unnest($20::text[], $21::text[], $22::text[], $23::text[]) AS t(event_id, user_id, device_id, txn_id)
        ), redacted AS (
            INSERT INTO redactions (redaction_id, event_id, pruned_json)
            SELECT * FROM unnest($24::text[], $25::text[], $26::text[])
            ON CONFLICT (event_id) DO NOTHING
        )
        SELECT event_id, stream_ordering FROM inserted
        """
    typealias Row = (String, Int64)

    /// An event of the batch with the state group after it (`nil` while its room has none).
    struct Event {
        let local: LocalAppend
        let stateGroup: Int64?
    }

    let events: [Event]
    /// The rooms whose state group the batch changed, with their new group.
    let roomStateGroups: [(roomID: String, group: Int64)]
    /// Every forward extremity of the batch's rooms after it.
    let extremities: [(roomID: String, eventID: String)]
    let receivedTimestamp: Int64

    func makeBindings() -> PostgresBindings {
        let locals = events.map(\.local)
        let new = locals.map(\.event)
        let states = locals.compactMap { local in
            local.stateChange.map { (local.event.eventID, $0, local.keepsMembership) }
        }
        let edges = new.flatMap { event in event.prevEventIDs.map { (event.eventID, $0) } }
        let transactions = locals.compactMap { local in local.transaction.map { (local.event.eventID, $0) } }
        let redactions = locals.compactMap { local in local.redaction.map { (local.event.eventID, $0) } }

        var bindings = PostgresBindings(capacity: 30)
        bindings.append(new.map(\.eventID))
        bindings.append(new.map(\.roomID))
        bindings.append(new.map(\.depth))
        bindings.append(new.map(\.type))
        bindings.append(new.map { $0.stateKey ?? "" })  // read only for the state events ($14)
        bindings.append(new.map(\.sender))
        bindings.append(new.map(\.originServerTimestamp))
        bindings.append(new.map(\.json))
        bindings.append(events.map { $0.stateGroup ?? 0 })  // group IDs start at 1: 0 is none
        bindings.append(Int64(events.count))
        bindings.append(receivedTimestamp)
        bindings.append(edges.map(\.0))
        bindings.append(edges.map(\.1))
        bindings.append(states.map(\.0))
        bindings.append(states.map(\.1.slot.type))
        bindings.append(states.map(\.1.slot.stateKey))
        bindings.append(states.map { $0.1.membership ?? "" })
        bindings.append(roomStateGroups.map(\.roomID))
        bindings.append(roomStateGroups.map(\.group))
        bindings.append(transactions.map(\.0))
        bindings.append(transactions.map(\.1.userID))
        bindings.append(transactions.map(\.1.deviceID))
        bindings.append(transactions.map(\.1.transactionID))
        bindings.append(redactions.map(\.0))
        bindings.append(redactions.map(\.1.eventID))
        bindings.append(redactions.map(\.1.prunedJSON))
        bindings.append(extremities.map(\.roomID))
        bindings.append(extremities.map(\.eventID))
        bindings.append(locals.map { $0.replacedState ?? "" })
        bindings.append(states.map(\.2))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode((String, Int64).self) }
}
