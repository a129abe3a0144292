import Logging
import PostgresNIO

/// One slot of room state: an event type and a state key (`""` is a valid state key).
///
/// Storage keeps its own key type so that it depends on nothing but MatrixCore and
/// PostgresNIO; callers convert from MatrixEvents' richer types.
public struct StateSlotKey: Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var stateKey: String

    public init(type: String, stateKey: String) {
        self.type = type
        self.stateKey = stateKey
    }

    public var description: String { "(\(type), \(stateKey))" }
}

/// Why `StateGroupStore` refused a request. Nothing was stored.
public enum StateGroupError: Error, Equatable, CustomStringConvertible {
    /// The previous state group does not exist.
    case unknownGroup(Int64)
    /// The previous state group belongs to another room.
    case roomMismatch(group: Int64, groupRoomID: String, roomID: String)

    public var description: String {
        switch self {
        case .unknownGroup(let group): "state group \(group) does not exist"
        case .roomMismatch(let group, let groupRoomID, let roomID):
            "state group \(group) belongs to \(groupRoomID), not \(roomID)"
        }
    }
}

/// Room state at events, stored as state groups with deltas (Synapse's scheme).
///
/// ## Layout (`Migrations/0003_state_groups.sql`)
///
/// A group is a full snapshot (`delta_depth` 0) or a delta against a previous group that holds
/// only the slots that changed, a `NULL` event ID marking a removed slot. A new event that
/// changes one membership of a 100k-member room therefore costs one row, not 100k.
///
/// Reading a group walks its `prev_state_group` chain down to the snapshot in one recursive
/// query and takes, for every slot, the row of the nearest group on the chain. To bound that
/// walk, chains are capped at `maxDeltaDepth` deltas: a group that would go past the cap is
/// written as a full snapshot of its resolved state instead. Groups are never modified, so
/// reads need no locks and any group may serve as the base of several others (forks).
public struct StateGroupStore: Sendable {
    let database: Database
    /// The most deltas between a group and its snapshot; 0 makes every group a snapshot.
    public let maxDeltaDepth: Int

    public init(database: Database, maxDeltaDepth: Int = 100) {
        precondition(maxDeltaDepth >= 0, "maxDeltaDepth must not be negative")
        self.database = database
        self.maxDeltaDepth = maxDeltaDepth
    }

    // MARK: - Writing groups

    /// Stores the state after applying `delta` to group `previous` and returns the new group's ID.
    ///
    /// `delta` maps each changed slot to its new event ID, or to `nil` to remove the slot.
    /// The group is stored as a delta against `previous`, or as a full snapshot (the resolved
    /// state of `previous` with `delta` applied) when `previous` is `nil` or its chain already
    /// holds `maxDeltaDepth` deltas. `eventID` is the event the state is after or at.
    ///
    /// Throws `StateGroupError` when `previous` does not exist or belongs to another room.
    public func storeStateGroup(
        roomID: String, eventID: String, previous: Int64?, delta: [StateSlotKey: String?]
    ) async throws -> Int64 {
        try await database.transaction(label: "store_state_group") { connection in
            try await storeStateGroup(roomID: roomID, eventID: eventID, previous: previous, delta: delta,
                                      on: connection)
        }
    }

    /// `storeStateGroup(roomID:eventID:previous:delta:)` inside the caller's transaction.
    public func storeStateGroup(
        roomID: String, eventID: String, previous: Int64?, delta: [StateSlotKey: String?],
        on connection: PostgresConnection
    ) async throws -> Int64 {
        guard let previous else {
            return try await insertGroup(roomID: roomID, eventID: eventID, previous: nil, deltaDepth: 0,
                                         slots: delta.compactMapValues { $0 }, on: connection)
        }
        let previousDepth = try await deltaDepth(of: previous, roomID: roomID, on: connection)
        guard previousDepth < maxDeltaDepth else {
            var state = try await state(ofGroup: previous, types: nil, on: connection)
            for (slot, eventID) in delta { state[slot] = eventID }
            return try await insertGroup(roomID: roomID, eventID: eventID, previous: nil, deltaDepth: 0,
                                         slots: state, on: connection)
        }
        return try await insertGroup(roomID: roomID, eventID: eventID, previous: previous,
                                     deltaDepth: previousDepth + 1, slots: delta, on: connection)
    }

    /// The `delta_depth` of a group, checking that it exists and belongs to `roomID`.
    private func deltaDepth(of group: Int64, roomID: String, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT room_id, delta_depth FROM state_groups WHERE id = \(group)",
            logger: database.queryLogger("select_state_group_depth")
        )
        for try await (groupRoomID, depth) in rows.decode((String, Int32).self) {
            guard groupRoomID == roomID else {
                throw StateGroupError.roomMismatch(group: group, groupRoomID: groupRoomID, roomID: roomID)
            }
            return Int(depth)
        }
        throw StateGroupError.unknownGroup(group)
    }

    /// Inserts a group and its slots, in one statement; `nil` slots are stored as `NULL` (removed).
    private func insertGroup<Value: SlotValue>(
        roomID: String, eventID: String, previous: Int64?, deltaDepth: Int,
        slots: [StateSlotKey: Value], on connection: PostgresConnection
    ) async throws -> Int64 {
        let entries = Array(slots)
        let rows = try await connection.query(
            """
            WITH grp AS (
                INSERT INTO state_groups (room_id, event_id, prev_state_group, delta_depth)
                VALUES (\(roomID), \(eventID), \(previous), \(Int32(deltaDepth)))
                RETURNING id
            ), slots AS (
                INSERT INTO state_groups_state (state_group, type, state_key, event_id)
                SELECT grp.id, s.type, s.state_key, CASE WHEN s.present THEN s.event_id END
                FROM grp, unnest(
                    \(entries.map(\.key.type))::text[], \(entries.map(\.key.stateKey))::text[],
                    \(entries.map { $0.value.eventID != nil })::boolean[],
                    \(entries.map { $0.value.eventID ?? "" })::text[]
                ) AS s(type, state_key, present, event_id)
            )
            SELECT id FROM grp
            """,
            logger: database.queryLogger("insert_state_group")
        )
        for try await id in rows.decode(Int64.self) { return id }
        preconditionFailure("INSERT … RETURNING returned no row")
    }

    // MARK: - Reading groups

    /// The state of a group: every slot that holds an event, with that event's ID.
    public func state(ofGroup group: Int64) async throws -> [StateSlotKey: String] {
        try await database.withConnection(label: "select_state_group") { connection in
            try await state(ofGroup: group, types: nil, on: connection)
        }
    }

    /// The slots of a group's state whose event type is one of `types` (for lazy-loading members).
    public func state(ofGroup group: Int64, types: Set<String>) async throws -> [StateSlotKey: String] {
        try await database.withConnection(label: "select_state_group_types") { connection in
            try await state(ofGroup: group, types: types, on: connection)
        }
    }

    /// The state of a group, all slots when `types` is `nil`, on the caller's connection.
    ///
    /// One recursive query walks the `prev_state_group` chain from the group down to its snapshot,
    /// numbering each group by its distance from the start. Of the rows for one slot the nearest
    /// group's wins (`DISTINCT ON … ORDER BY distance`), and a winning `NULL` means the slot was
    /// removed. An unknown group has an empty state.
    public func state(
        ofGroup group: Int64, types: Set<String>?, on connection: PostgresConnection
    ) async throws -> [StateSlotKey: String] {
        let typeList = types.map(Array.init) ?? []
        let rows = try await connection.query(
            """
            WITH RECURSIVE chain (id, prev, distance) AS (
                SELECT id, prev_state_group, 0 FROM state_groups WHERE id = \(group)
                UNION ALL
                SELECT g.id, g.prev_state_group, chain.distance + 1
                FROM state_groups AS g JOIN chain ON g.id = chain.prev
            )
            SELECT type, state_key, event_id FROM (
                SELECT DISTINCT ON (s.type, s.state_key) s.type, s.state_key, s.event_id
                FROM chain JOIN state_groups_state AS s ON s.state_group = chain.id
                WHERE \(types == nil) OR s.type = ANY(\(typeList)::text[])
                ORDER BY s.type, s.state_key, chain.distance
            ) AS nearest
            WHERE event_id IS NOT NULL
            """,
            logger: database.queryLogger("select_state_group_state")
        )
        var state: [StateSlotKey: String] = [:]
        for try await (type, stateKey, eventID) in rows.decode((String, String, String).self) {
            state[StateSlotKey(type: type, stateKey: stateKey)] = eventID
        }
        return state
    }

    // MARK: - Events

    /// The state group holding the room state at an event; `nil` when none is recorded.
    public func stateGroup(forEvent eventID: String) async throws -> Int64? {
        let rows = try await database.query(
            "SELECT state_group FROM event_to_state_groups WHERE event_id = \(eventID)",
            label: "select_event_state_group"
        )
        for try await group in rows.decode(Int64.self) { return group }
        return nil
    }

    /// Records the state group at an event, replacing any earlier one.
    public func setStateGroup(_ group: Int64, forEvent eventID: String) async throws {
        try await database.withConnection(label: "insert_event_state_group") { connection in
            try await setStateGroup(group, forEvent: eventID, on: connection)
        }
    }

    /// `setStateGroup(_:forEvent:)` inside the caller's transaction.
    public func setStateGroup(_ group: Int64, forEvent eventID: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO event_to_state_groups (event_id, state_group) VALUES (\(eventID), \(group))
            ON CONFLICT (event_id) DO UPDATE SET state_group = EXCLUDED.state_group
            """,
            logger: database.queryLogger("upsert_event_state_group")
        )
    }

}

/// A slot's value in `insertGroup`: an event ID (snapshots) or an optional one (deltas).
private protocol SlotValue { var eventID: String? { get } }
extension String: SlotValue { var eventID: String? { self } }
extension Optional: SlotValue where Wrapped == String { var eventID: String? { self } }
