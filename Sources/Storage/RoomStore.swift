import Foundation
import Logging
import PostgresNIO

/// A row of `rooms`.
public struct RoomRecord: Sendable, Equatable {
    public var roomID: String
    public var roomVersion: String
    public var creator: String
    public var isPublic: Bool
    /// The state group of the room's current state; `nil` before the create event.
    public var stateGroup: Int64?
}

/// Identifies a client's transaction: retries with the same key return the first event.
public struct ClientTransactionKey: Sendable, Hashable {
    public var userID: String
    public var deviceID: String
    public var transactionID: String

    public init(userID: String, deviceID: String, transactionID: String) {
        self.userID = userID
        self.deviceID = deviceID
        self.transactionID = transactionID
    }
}

/// Which events a timeline read returns (the event-matching part of a `RoomEventFilter`).
///
/// `nil` lists match everything; type patterns may use `*` as a wildcard, as the spec allows.
public struct TimelineFilter: Sendable, Hashable {
    public var types: [String]?
    public var notTypes: [String]
    public var senders: [String]?
    public var notSenders: [String]

    public init(types: [String]? = nil, notTypes: [String] = [], senders: [String]? = nil, notSenders: [String] = []) {
        self.types = types
        self.notTypes = notTypes
        self.senders = senders
        self.notSenders = notSenders
    }

    /// SQL `LIKE` patterns for type patterns: `*` matches anything, everything else literally.
    static func likePatterns(_ patterns: [String]) -> [String] {
        patterns.map { $0.likeEscaped.replacingOccurrences(of: "*", with: "%") }
    }
}

/// Direction of a read through a room's timeline.
public enum TimelineDirection: Sendable {
    case forward, backward
}

/// Rooms, their current state and memberships, and reads of their timelines.
///
/// Writes go through ``withRoomLocks(_:_:)``, which serialises every writer of a room across
/// all processes (DESIGN.md invariant 3) while other rooms proceed in parallel.
public struct RoomStore: Sendable {
    let database: Database
    let stateGroups: StateGroupStore
    let events: EventStore

    public init(database: Database, stateGroups: StateGroupStore) {
        self.database = database
        self.stateGroups = stateGroups
        self.events = EventStore(database: database)
    }

    /// Runs `body` in one transaction holding the room's lock, and commits when it returns.
    public func withRoomLock<Result: Sendable>(
        _ roomID: String, _ body: (RoomWriteTransaction) async throws -> Result
    ) async throws -> Result {
        try await withRoomLocks([roomID], body)
    }

    /// Runs `body` in one transaction holding the locks of all `roomIDs`, and commits when it
    /// returns.
    ///
    /// A room's lock is a transaction-scoped PostgreSQL advisory lock on a 64-bit hash of its ID,
    /// so it serialises writers in every process and is released by `COMMIT` or `ROLLBACK`, even
    /// when the process dies. The locks are taken in one statement, in the order of their keys,
    /// so two transactions locking overlapping sets of rooms cannot deadlock.
    public func withRoomLocks<Result: Sendable>(
        _ roomIDs: [String], _ body: (RoomWriteTransaction) async throws -> Result
    ) async throws -> Result {
        try await database.transaction(label: "room_write") { connection in
            try await connection.query(
                """
                SELECT pg_advisory_xact_lock(key)
                FROM (SELECT DISTINCT hashtextextended(room_id, 0) AS key FROM unnest(\(roomIDs)::text[]) AS room_id
                      ORDER BY key) AS keys
                """,
                logger: database.queryLogger("lock_rooms")
            )
            return try await body(RoomWriteTransaction(roomIDs: Set(roomIDs), connection: connection, store: self))
        }
    }

    // MARK: - Rooms

    /// The room's row; `nil` for a room this server does not know.
    public func room(_ roomID: String) async throws -> RoomRecord? {
        try await database.withConnection(label: "select_room") { connection in
            try await room(roomID, on: connection)
        }
    }

    func room(_ roomID: String, on connection: PostgresConnection) async throws -> RoomRecord? {
        let rows = try await connection.query(
            "SELECT room_version, creator, is_public, state_group FROM rooms WHERE room_id = \(roomID)",
            logger: database.queryLogger("select_room")
        )
        for try await (version, creator, isPublic, group) in rows.decode((String, String, Bool, Int64?).self) {
            return RoomRecord(roomID: roomID, roomVersion: version, creator: creator, isPublic: isPublic, stateGroup: group)
        }
        return nil
    }

    /// Lists or unlists the room in the public room directory.
    public func setPublic(_ roomID: String, isPublic: Bool) async throws {
        try await database.query(
            "UPDATE rooms SET is_public = \(isPublic) WHERE room_id = \(roomID)",
            label: "update_room_public"
        )
    }

    // MARK: - Current state

    /// The events of the room's current state, in no particular order.
    public func currentStateEvents(of roomID: String) async throws -> [PersistedEvent] {
        let rows = try await database.query(
            """
            SELECT \(unescaped: PersistedEvent.columns) FROM events
            WHERE event_id IN (SELECT event_id FROM current_state_events WHERE room_id = \(roomID))
            """,
            label: "select_current_state_events"
        )
        return try await PersistedEvent.decode(rows)
    }

    /// The event filling one slot of the room's current state.
    public func currentStateEvent(of roomID: String, type: String, stateKey: String) async throws -> PersistedEvent? {
        let rows = try await database.query(
            """
            SELECT \(unescaped: PersistedEvent.columns) FROM events
            WHERE event_id = (SELECT event_id FROM current_state_events
                              WHERE room_id = \(roomID) AND type = \(type) AND state_key = \(stateKey))
            """,
            label: "select_current_state_event"
        )
        return try await PersistedEvent.decode(rows).first
    }

    /// The user's current membership of the room and the event that set it.
    public func membership(of userID: String, in roomID: String) async throws -> (membership: String, event: PersistedEvent)? {
        let rows = try await database.execute(SelectMembership(roomID: roomID, userID: userID),
                                                     label: "select_membership")
        for try await (membership, event) in rows { return (membership ?? "", event) }
        return nil
    }

    /// Records that the user forgot the room while `membershipEventID` was their membership.
    public func forget(_ roomID: String, by userID: String, membershipEventID: String) async throws {
        try await database.query(
            """
            INSERT INTO forgotten_rooms (user_id, room_id, membership_event_id)
            VALUES (\(userID), \(roomID), \(membershipEventID))
            ON CONFLICT (user_id, room_id) DO UPDATE SET membership_event_id = EXCLUDED.membership_event_id
            """,
            label: "upsert_forgotten_room"
        )
    }

    /// The membership event the user forgot the room at, if they forgot it.
    public func forgottenMembership(of userID: String, in roomID: String) async throws -> String? {
        let rows = try await database.query(
            "SELECT membership_event_id FROM forgotten_rooms WHERE user_id = \(userID) AND room_id = \(roomID)",
            label: "select_forgotten_room"
        )
        for try await eventID in rows.decode(String.self) { return eventID }
        return nil
    }

    /// The rooms in which the user currently has `membership`, sorted.
    public func rooms(of userID: String, membership: String) async throws -> [String] {
        let rows = try await database.query(
            """
            SELECT room_id FROM current_state_events
            WHERE type = 'm.room.member' AND state_key = \(userID) AND membership = \(membership)
            ORDER BY room_id
            """,
            label: "select_rooms_of_user"
        )
        var rooms: [String] = []
        for try await room in rows.decode(String.self) { rooms.append(room) }
        return rooms
    }

    /// The current `m.room.member` events of a room, optionally only those with a membership
    /// in `memberships`, in stream order.
    public func memberEvents(of roomID: String, memberships: Set<String>? = nil) async throws -> [PersistedEvent] {
        let filter = memberships.map(Array.init) ?? []
        let rows = try await database.query(
            """
            SELECT \(unescaped: PersistedEvent.columns) FROM events
            WHERE event_id IN (
                SELECT event_id FROM current_state_events
                WHERE room_id = \(roomID) AND type = 'm.room.member'
                  AND (\(memberships == nil) OR membership = ANY(\(filter)::text[]))
            )
            ORDER BY stream_ordering
            """,
            label: "select_member_events"
        )
        return try await PersistedEvent.decode(rows)
    }

    /// The stream position of the user's first join to the room, if they ever joined.
    public func firstJoinPosition(of userID: String, in roomID: String) async throws -> Int64? {
        let rows = try await database.query(
            """
            SELECT min(stream_ordering) FROM events
            WHERE room_id = \(roomID) AND type = 'm.room.member' AND state_key = \(userID)
              AND rejected_reason IS NULL AND (json::jsonb -> 'content' ->> 'membership') = 'join'
            """,
            label: "select_first_join"
        )
        for try await position in rows.decode(Int64?.self) { return position }
        return nil
    }

    // MARK: - Events

    /// The stored events among `eventIDs`, keyed by event ID.
    public func events(_ eventIDs: [String]) async throws -> [String: PersistedEvent] {
        try await database.withConnection(label: "select_events") { connection in
            try await events(eventIDs, on: connection)
        }
    }

    func events(_ eventIDs: [String], on connection: PostgresConnection) async throws -> [String: PersistedEvent] {
        guard !eventIDs.isEmpty else { return [:] }
        let rows = try await connection.query(
            "SELECT \(unescaped: PersistedEvent.columns) FROM events WHERE event_id = ANY(\(eventIDs)::text[])",
            logger: database.queryLogger("select_events_by_id")
        )
        return Dictionary(try await PersistedEvent.decode(rows).map { ($0.eventID, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The client transaction IDs with which the device created any of `eventIDs`, by event.
    public func transactionIDs(of eventIDs: [String], userID: String, deviceID: String) async throws -> [String: String] {
        guard !eventIDs.isEmpty else { return [:] }
        let rows = try await database.query(
            """
            SELECT event_id, txn_id FROM event_transactions
            WHERE event_id = ANY(\(eventIDs)::text[]) AND user_id = \(userID) AND device_id = \(deviceID)
            """,
            label: "select_event_transaction_ids"
        )
        var transactionIDs: [String: String] = [:]
        for try await (eventID, transactionID) in rows.decode((String, String).self) {
            transactionIDs[eventID] = transactionID
        }
        return transactionIDs
    }

    /// Up to `limit` accepted, non-outlier events of a room matching `filter`, read from the
    /// gap `from` in `direction`, in that direction's order.
    ///
    /// Positions name the gaps between events: gap P lies after the event at position P. Reading
    /// forward from P gives positions above P; backward, positions at or below P. `to`, when
    /// given, is the gap where reading stops.
    public func timeline(
        of roomID: String, from position: Int64, to stop: Int64?, direction: TimelineDirection, limit: Int,
        filter: TimelineFilter = TimelineFilter()
    ) async throws -> [PersistedEvent] {
        let (lower, upper) = switch direction {
        case .forward: (position, stop ?? Int64.max)
        case .backward: (stop ?? -1, position)
        }
        let query = TimelineQuery(roomID: roomID, lower: lower, upper: upper, limit: limit, filter: filter)
        let rows = switch direction {
        case .forward: try await database.execute(SelectTimelineForward(query: query), label: "select_timeline")
        case .backward: try await database.execute(SelectTimelineBackward(query: query), label: "select_timeline")
        }
        var events: [PersistedEvent] = []
        for try await row in rows { events.append(PersistedEvent(row)) }
        return events
    }

    /// The state group of the room's state after the last event at or below gap `position`.
    public func stateGroup(of roomID: String, at position: Int64) async throws -> Int64? {
        let rows = try await database.query(
            """
            SELECT g.state_group FROM events AS e JOIN event_to_state_groups AS g USING (event_id)
            WHERE e.room_id = \(roomID) AND e.stream_ordering <= \(position)
              AND NOT e.outlier AND e.rejected_reason IS NULL
            ORDER BY e.stream_ordering DESC LIMIT 1
            """,
            label: "select_state_group_at"
        )
        for try await group in rows.decode(Int64.self) { return group }
        return nil
    }

    /// The state events of a state group, optionally only of the given types.
    public func stateEvents(ofGroup group: Int64, types: Set<String>? = nil) async throws -> [PersistedEvent] {
        let state = if let types {
            try await stateGroups.state(ofGroup: group, types: types)
        } else {
            try await stateGroups.state(ofGroup: group)
        }
        return Array(try await events(Array(state.values)).values)
    }

    /// The events stream's head: the position of the last committed event.
    public func currentStreamPosition() async throws -> Int64 {
        try await events.maxStreamPosition()
    }

    // MARK: - Aliases

    /// The room an alias points to.
    public func roomID(forAlias alias: String) async throws -> String? {
        let rows = try await database.query(
            "SELECT room_id FROM room_aliases WHERE alias = \(alias)", label: "select_alias"
        )
        for try await roomID in rows.decode(String.self) { return roomID }
        return nil
    }

    /// Points `alias` at a room; `false` when the alias is already taken.
    public func createAlias(_ alias: String, roomID: String, creator: String) async throws -> Bool {
        let rows = try await database.query(
            """
            INSERT INTO room_aliases (alias, room_id, creator) VALUES (\(alias), \(roomID), \(creator))
            ON CONFLICT (alias) DO NOTHING RETURNING alias
            """,
            label: "insert_alias"
        )
        for try await _ in rows { return true }
        return false
    }

    /// The alias's row, for permission checks before deleting it.
    public func aliasCreator(_ alias: String) async throws -> (roomID: String, creator: String)? {
        let rows = try await database.query(
            "SELECT room_id, creator FROM room_aliases WHERE alias = \(alias)", label: "select_alias_creator"
        )
        for try await row in rows.decode((String, String).self) { return row }
        return nil
    }

    /// Removes an alias; `false` when it did not exist.
    public func deleteAlias(_ alias: String) async throws -> Bool {
        let rows = try await database.query(
            "DELETE FROM room_aliases WHERE alias = \(alias) RETURNING alias", label: "delete_alias"
        )
        for try await _ in rows { return true }
        return false
    }

    /// The aliases of a room, sorted.
    public func aliases(of roomID: String) async throws -> [String] {
        let rows = try await database.query(
            "SELECT alias FROM room_aliases WHERE room_id = \(roomID) ORDER BY alias", label: "select_room_aliases"
        )
        var aliases: [String] = []
        for try await alias in rows.decode(String.self) { aliases.append(alias) }
        return aliases
    }

}

/// A user's current membership of a room with its event: prepared, as every room read checks it.
struct SelectMembership: PostgresPreparedStatement {
    static let sql = """
        SELECT c.membership, \(PersistedEvent.columns)
        FROM current_state_events AS c JOIN events ON events.event_id = c.event_id
        WHERE c.room_id = $1 AND c.type = 'm.room.member' AND c.state_key = $2
        """
    typealias Row = (String?, PersistedEvent)

    let roomID: String
    let userID: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(roomID)
        bindings.append(userID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        guard let event = try PersistedEvent(cells, from: 1) else {
            preconditionFailure("an inner join always yields the event")
        }
        return (try cells[0].decode(String?.self), event)
    }
}

/// A page of a room's timeline between two gaps (``RoomStore/timeline``): prepared, as `/messages`
/// and `/context` run it for every page. One statement per direction, so that each walks the
/// `(room_id, stream_ordering)` index in its own order and stops after `limit` rows.
protocol TimelineStatement: PostgresPreparedStatement where Row == PersistedEvent.Row {
    var query: TimelineQuery { get }
}

/// The values bound to a ``TimelineStatement``.
struct TimelineQuery: Sendable {
    let roomID: String
    let lower: Int64
    let upper: Int64
    let limit: Int
    let filter: TimelineFilter

    /// `$1` … `$10` of the statements below.
    static func sql(order: String) -> String {
        """
        SELECT \(PersistedEvent.columns) FROM events
        WHERE room_id = $1 AND stream_ordering > $2 AND stream_ordering <= $3
          AND NOT outlier AND rejected_reason IS NULL
          AND ($5 OR type LIKE ANY($6::text[]))
          AND NOT type LIKE ANY($7::text[])
          AND ($8 OR sender = ANY($9::text[]))
          AND NOT sender = ANY($10::text[])
        ORDER BY stream_ordering \(order)
        LIMIT $4
        """
    }
}

extension TimelineStatement {
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(query.roomID)
        bindings.append(query.lower)
        bindings.append(query.upper)
        bindings.append(Int64(query.limit))
        bindings.append(query.filter.types == nil)
        bindings.append(query.filter.types.map(TimelineFilter.likePatterns) ?? [])
        bindings.append(TimelineFilter.likePatterns(query.filter.notTypes))
        bindings.append(query.filter.senders == nil)
        bindings.append(query.filter.senders ?? [])
        bindings.append(query.filter.notSenders)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Oldest first.
struct SelectTimelineForward: TimelineStatement {
    static let sql = TimelineQuery.sql(order: "ASC")
    let query: TimelineQuery
}

/// Newest first.
struct SelectTimelineBackward: TimelineStatement {
    static let sql = TimelineQuery.sql(order: "DESC")
    let query: TimelineQuery
}
