import Logging
import PostgresNIO

/// What the public room directory shows of a room, read from its current state.
public struct PublicRoomSummary: Sendable, Equatable {
    public var roomID: String
    public var joinedMembers: Int
    public var name: String?
    public var topic: String?
    public var canonicalAlias: String?
    public var avatarURL: String?
    /// `content.join_rule` of `m.room.join_rules`.
    public var joinRule: String?
    /// `content.history_visibility` of `m.room.history_visibility`.
    public var historyVisibility: String?
    /// `content.guest_access` of `m.room.guest_access`.
    public var guestAccess: String?
    /// `content.type` of `m.room.create` (`m.space` for spaces).
    public var roomType: String?
}

/// Which listed rooms a directory page shows.
public struct PublicRoomFilter: Sendable, Equatable {
    /// Text that the name, topic or canonical alias must contain (case-insensitive).
    public var searchTerm: String?
    /// The room types to show, `nil` standing for rooms without a type; `nil` shows every type.
    public var roomTypes: [String?]?

    public init(searchTerm: String? = nil, roomTypes: [String?]? = nil) {
        self.searchTerm = searchTerm
        self.roomTypes = roomTypes
    }
}

/// Reads of the public room directory: rooms with `rooms.is_public`, described by their state.
public struct PublicRoomStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The state slots (all with state key `""`) that a summary reads.
    private static let summaryTypes = [
        "m.room.create", "m.room.name", "m.room.topic", "m.room.canonical_alias", "m.room.avatar",
        "m.room.join_rules", "m.room.history_visibility", "m.room.guest_access",
    ]

    /// One page of the listed rooms matching `filter`, by joined members (most first) then room ID,
    /// skipping the first `offset`, and the number of rooms matching `filter` in all.
    ///
    /// The total is 0 when `offset` is past the last room.
    public func page(
        filter: PublicRoomFilter, offset: Int, limit: Int
    ) async throws -> (rooms: [PublicRoomSummary], total: Int) {
        let pattern = filter.searchTerm?.containsPattern
        let types = filter.roomTypes?.compactMap { $0 } ?? []
        let includeUntyped = filter.roomTypes?.contains(nil) ?? true
        let rows = try await database.query(
            """
            WITH listed AS (
                SELECT r.room_id,
                       (SELECT count(*) FROM current_state_events AS m
                        WHERE m.room_id = r.room_id AND m.type = 'm.room.member' AND m.membership = 'join') AS joined,
                       s.state
                FROM rooms AS r
                CROSS JOIN LATERAL (
                    SELECT coalesce(jsonb_object_agg(c.type, e.json::jsonb -> 'content'), '{}'::jsonb) AS state
                    FROM current_state_events AS c JOIN events AS e USING (event_id)
                    WHERE c.room_id = r.room_id AND c.state_key = '' AND c.type = ANY(\(Self.summaryTypes)::text[])
                ) AS s
                WHERE r.is_public
            ), described AS (
                SELECT room_id, joined,
                       state -> 'm.room.name' ->> 'name' AS name,
                       state -> 'm.room.topic' ->> 'topic' AS topic,
                       state -> 'm.room.canonical_alias' ->> 'alias' AS canonical_alias,
                       state -> 'm.room.avatar' ->> 'url' AS avatar_url,
                       state -> 'm.room.join_rules' ->> 'join_rule' AS join_rule,
                       state -> 'm.room.history_visibility' ->> 'history_visibility' AS history_visibility,
                       state -> 'm.room.guest_access' ->> 'guest_access' AS guest_access,
                       state -> 'm.room.create' ->> 'type' AS room_type
                FROM listed
            )
            SELECT room_id, joined, name, topic, canonical_alias, avatar_url, join_rule, history_visibility,
                   guest_access, room_type, count(*) OVER () AS total
            FROM described
            WHERE (\(pattern == nil) OR lower(name) LIKE \(pattern ?? "") OR lower(topic) LIKE \(pattern ?? "")
                   OR lower(canonical_alias) LIKE \(pattern ?? ""))
              AND (\(filter.roomTypes == nil) OR (room_type IS NULL AND \(includeUntyped))
                   OR room_type = ANY(\(types)::text[]))
            ORDER BY joined DESC, room_id
            LIMIT \(limit) OFFSET \(offset)
            """,
            label: "select_public_rooms"
        )
        var rooms: [PublicRoomSummary] = []
        var total = 0
        let columns = (
            String, Int64, String?, String?, String?, String?, String?, String?, String?, String?, Int64
        ).self
        for try await row in rows.decode(columns) {
            rooms.append(PublicRoomSummary(
                roomID: row.0, joinedMembers: Int(row.1), name: row.2, topic: row.3, canonicalAlias: row.4,
                avatarURL: row.5, joinRule: row.6, historyVisibility: row.7, guestAccess: row.8, roomType: row.9
            ))
            total = Int(row.10)
        }
        return (rooms, total)
    }
}
