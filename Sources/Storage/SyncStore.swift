import Logging
import PostgresNIO

/// The positions of the commit-ordered streams a sync token carries.
public struct StreamPositions: Sendable, Equatable {
    public var events: Int64
    public var accountData: Int64
    public var receipts: Int64
    public var toDevice: Int64
    public var deviceLists: Int64

    public init(events: Int64, accountData: Int64, receipts: Int64, toDevice: Int64, deviceLists: Int64) {
        self.events = events
        self.accountData = accountData
        self.receipts = receipts
        self.toDevice = toDevice
        self.deviceLists = deviceLists
    }

    /// Each position at least the one of `other`: a read shared with an earlier request may be
    /// older than a token from another replica, and a token never moves back.
    public func atLeast(_ other: StreamPositions?) -> StreamPositions {
        guard let other else { return self }
        return StreamPositions(events: max(events, other.events), accountData: max(accountData, other.accountData),
                               receipts: max(receipts, other.receipts), toDevice: max(toDevice, other.toDevice),
                               deviceLists: max(deviceLists, other.deviceLists))
    }

    /// Every position at `position`.
    public init(all position: Int64) {
        self.init(events: position, accountData: position, receipts: position, toDevice: position,
                  deviceLists: position)
    }
}

/// A user's current membership of one room, with the event that set it.
///
/// The event itself is not read with the memberships: a sync needs it only for the few
/// memberships that changed in its range, and a user may be in thousands of rooms.
public struct RoomMembership: Sendable, Equatable {
    public var roomID: String
    public var membership: String
    public var eventID: String
    /// Where the membership began: the events-stream position of the member event that made it
    /// what it is. A later member event that keeps it (a profile change) does not move it.
    public var streamPosition: Int64
}

/// A user and some of their rooms, as a key of per-user room data read for many users at once.
public struct UserRooms: Hashable, Sendable {
    public var userID: String
    public var roomIDs: [String]

    public init(userID: String, roomIDs: [String]) {
        self.userID = userID
        self.roomIDs = roomIDs
    }
}

/// One change of a user's account data: global when `roomID` is `nil`.
public struct AccountDataChange: Sendable, Equatable {
    public var roomID: String?
    public var type: String
    /// The JSON object, as stored.
    public var content: String
}

/// Who is in a room, as a sync's room summary shows it.
public struct RoomMemberSummary: Sendable, Equatable {
    public var joinedCount: Int
    public var invitedCount: Int
    /// Up to five joined or invited members other than the reader, sorted.
    public var heroes: [String]
}

/// The latest receipt of one user, type and thread in a room.
public struct StoredReceipt: Sendable, Equatable {
    public var roomID: String
    public var receiptType: String
    public var userID: String
    public var threadID: String
    public var eventID: String
    public var timestamp: Int64
}

/// The reads `/sync` makes besides room timelines and state: stream heads, a user's
/// memberships, and what changed in a range of positions.
public struct SyncStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The last committed position of each stream, in one read.
    public func currentPositions() async throws -> StreamPositions {
        let rows = try await database.execute(SelectStreamHeads(), label: "select_stream_heads")
        var positions = StreamPositions(all: 0)
        for try await (stream, position) in rows {
            switch stream {
            case StreamHead.events.name: positions.events = position
            case StreamHead.accountData.name: positions.accountData = position
            case StreamHead.receipts.name: positions.receipts = position
            case StreamHead.toDevice.name: positions.toDevice = position
            case StreamHead.deviceLists.name: positions.deviceLists = position
            default: break
            }
        }
        return positions
    }

    /// Every room the user has a current membership of (any membership), in room order.
    public func memberships(of userID: String) async throws -> [RoomMembership] {
        try await memberships(of: [userID])[userID] ?? []
    }

    /// Every room each of `userIDs` has a current membership of (any membership), in room order;
    /// users with none are absent.
    public func memberships(of userIDs: [String]) async throws -> [String: [RoomMembership]] {
        guard !userIDs.isEmpty else { return [:] }
        let rows = try await database.execute(SelectMembershipsOfUsers(userIDs: userIDs),
                                              label: "select_memberships_of_users")
        var memberships: [String: [RoomMembership]] = [:]
        for try await (userID, roomID, membership, eventID, position) in rows {
            // A membership whose event is not stored has no position: not a membership to show.
            guard let position else { continue }
            memberships[userID, default: []].append(
                RoomMembership(roomID: roomID, membership: membership ?? "", eventID: eventID, streamPosition: position)
            )
        }
        return memberships
    }

    /// The rooms among `roomIDs` with accepted events in the gap range `(after, upTo]`, each with
    /// whether one of those events is a membership change.
    public func roomsWithEvents(_ roomIDs: [String], after: Int64, upTo: Int64) async throws -> [String: Bool] {
        guard !roomIDs.isEmpty, upTo > after else { return [:] }
        let rows = try await database.query(
            """
            SELECT room_id, bool_or(type = 'm.room.member') FROM events
            WHERE room_id = ANY(\(roomIDs)::text[]) AND stream_ordering > \(after) AND stream_ordering <= \(upTo)
              AND NOT outlier AND rejected_reason IS NULL
            GROUP BY room_id
            """,
            label: "select_rooms_with_events"
        )
        var rooms: [String: Bool] = [:]
        for try await (roomID, membershipChanged) in rows.decode((String, Bool).self) { rooms[roomID] = membershipChanged }
        return rooms
    }

    /// Whether `userID` was ever joined to the room (their membership events include a join).
    public func wasJoined(_ userID: String, to roomID: String) async throws -> Bool {
        let rows = try await database.query(
            """
            SELECT EXISTS (
                SELECT 1 FROM events
                WHERE room_id = \(roomID) AND type = 'm.room.member' AND state_key = \(userID)
                  AND NOT outlier AND rejected_reason IS NULL
                  AND json::json -> 'content' ->> 'membership' = 'join')
            """,
            label: "select_was_joined"
        )
        for try await joined in rows.decode(Bool.self) { return joined }
        return false
    }

    /// The room's joined and invited counts and its heroes as `reader` sees them.
    public func memberSummary(of roomID: String, reader: String) async throws -> RoomMemberSummary {
        let rows = try await database.query(
            """
            SELECT count(*) FILTER (WHERE membership = 'join'), count(*) FILTER (WHERE membership = 'invite'),
                   COALESCE((array_agg(state_key ORDER BY state_key)
                             FILTER (WHERE membership IN ('join', 'invite') AND state_key <> \(reader)))[1:5], '{}')
            FROM current_state_events WHERE room_id = \(roomID) AND type = 'm.room.member'
            """,
            label: "select_member_summary"
        )
        for try await (joined, invited, heroes) in rows.decode((Int64, Int64, [String]).self) {
            return RoomMemberSummary(joinedCount: Int(joined), invitedCount: Int(invited), heroes: heroes)
        }
        return RoomMemberSummary(joinedCount: 0, invitedCount: 0, heroes: [])
    }

    /// The user's account data changed in `(after, upTo]`, global and per room.
    public func accountDataChanges(of userID: String, after: Int64, upTo: Int64) async throws -> [AccountDataChange] {
        guard upTo > after else { return [] }
        let rows = try await database.query(
            """
            SELECT room_id, type, content FROM account_data
            WHERE user_id = \(userID) AND stream_id > \(after) AND stream_id <= \(upTo)
            ORDER BY stream_id
            """,
            label: "select_account_data_changes"
        )
        var changes: [AccountDataChange] = []
        for try await (roomID, type, content) in rows.decode((String, String, String).self) {
            changes.append(AccountDataChange(roomID: roomID.isEmpty ? nil : roomID, type: type, content: content))
        }
        return changes
    }

    /// The receipts of `roomIDs` that moved in `(after, upTo]`, private ones only for `userID`.
    public func receipts(in roomIDs: [String], for userID: String, after: Int64, upTo: Int64) async throws
        -> [StoredReceipt] {
        guard !roomIDs.isEmpty, upTo > after else { return [] }
        let rows = try await database.query(
            """
            SELECT room_id, receipt_type, user_id, thread_id, event_id, ts FROM receipts
            WHERE room_id = ANY(\(roomIDs)::text[]) AND stream_id > \(after) AND stream_id <= \(upTo)
              AND (receipt_type <> 'm.read.private' OR user_id = \(userID))
            ORDER BY stream_id
            """,
            label: "select_receipt_changes"
        )
        var receipts: [StoredReceipt] = []
        for try await (roomID, type, user, thread, eventID, timestamp) in rows.decode(
            (String, String, String, String, String, Int64).self
        ) {
            receipts.append(StoredReceipt(roomID: roomID, receiptType: type, userID: user, threadID: thread,
                                          eventID: eventID, timestamp: timestamp))
        }
        return receipts
    }

    /// Each user's notification and highlight counts in each of their rooms asked for: events
    /// after their read receipt (unthreaded or main) that their push rules said notify. Rooms
    /// without any are absent.
    public func unreadCounts(of requests: [UserRooms]) async throws
        -> [UserRooms: [String: (notifications: Int, highlights: Int)]] {
        struct UserRoom: Hashable {
            var user: String
            var room: String
        }
        // Each pair once: two devices of a user may ask for the same room.
        var pairs: [UserRoom] = []
        var seen: Set<UserRoom> = []
        for request in requests {
            for roomID in request.roomIDs {
                let pair = UserRoom(user: request.userID, room: roomID)
                if seen.insert(pair).inserted { pairs.append(pair) }
            }
        }
        guard !pairs.isEmpty else { return [:] }
        // Not prepared: a plan cached while the table held few actions would scan all of them for
        // every pair once it holds many. Planned at each execution, it takes the table as it is.
        let rows = try await database.query(
            """
            SELECT q.user_id, q.room_id, c.notifications, c.highlights
            FROM unnest(\(pairs.map(\.user))::text[], \(pairs.map(\.room))::text[]) AS q(user_id, room_id)
            -- Per pair, so that each reads its own actions by the key, however few the table holds.
            CROSS JOIN LATERAL (
                SELECT count(*) AS notifications, count(*) FILTER (WHERE a.highlight) AS highlights
                FROM event_push_actions AS a JOIN events AS e ON e.event_id = a.event_id
                WHERE a.user_id = q.user_id AND a.room_id = q.room_id
                  AND e.stream_ordering > COALESCE((
                      SELECT max(r.event_stream_ordering) FROM receipts AS r
                      WHERE r.room_id = q.room_id AND r.user_id = q.user_id
                        AND r.receipt_type IN ('m.read', 'm.read.private') AND r.thread_id IN ('', 'main')), 0)
            ) AS c
            WHERE c.notifications > 0
            """,
            label: "select_unread_counts"
        )
        var byUser: [String: [String: (notifications: Int, highlights: Int)]] = [:]
        for try await (userID, roomID, notifications, highlights) in rows.decode((String, String, Int64, Int64).self) {
            byUser[userID, default: [:]][roomID] = (Int(notifications), Int(highlights))
        }
        // A user's requests in one batch may ask for different rooms.
        return Dictionary(requests.map { request in
            let asked = Set(request.roomIDs)
            return (request, (byUser[request.userID] ?? [:]).filter { asked.contains($0.key) })
        }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: - Device lists

    /// The users whose devices or keys changed in `(after, upTo]` and who are `userID` or share a
    /// joined room with them.
    public func deviceListChanges(for userID: String, after: Int64, upTo: Int64) async throws -> Set<String> {
        guard upTo > after else { return [] }
        let rows = try await database.query(
            """
            SELECT DISTINCT d.user_id FROM device_list_changes AS d
            WHERE d.stream_id > \(after) AND d.stream_id <= \(upTo)
              AND (d.user_id = \(userID) OR EXISTS (
                  SELECT 1 FROM current_state_events AS mine JOIN current_state_events AS theirs USING (room_id)
                  WHERE mine.type = 'm.room.member' AND mine.state_key = \(userID) AND mine.membership = 'join'
                    AND theirs.type = 'm.room.member' AND theirs.state_key = d.user_id
                    AND theirs.membership = 'join'))
            """,
            label: "select_device_list_changes"
        )
        return try await Self.userIDs(rows)
    }

    /// The users whose membership of one of `roomIDs` changed in the gap range `(after, upTo]`.
    /// A member event that keeps the membership of the one it replaced (a profile change) is no
    /// change.
    public func membershipChanges(in roomIDs: [String], after: Int64, upTo: Int64) async throws -> Set<String> {
        guard !roomIDs.isEmpty, upTo > after else { return [] }
        let rows = try await database.query(
            """
            SELECT DISTINCT e.state_key FROM events AS e
            LEFT JOIN events AS replaced ON replaced.event_id = e.replaces_state
            WHERE e.room_id = ANY(\(roomIDs)::text[]) AND e.stream_ordering > \(after) AND e.stream_ordering <= \(upTo)
              AND e.type = 'm.room.member' AND NOT e.outlier AND e.rejected_reason IS NULL
              AND (replaced.json::json -> 'content' ->> 'membership')
                  IS DISTINCT FROM (e.json::json -> 'content' ->> 'membership')
            """,
            label: "select_membership_changes"
        )
        return try await Self.userIDs(rows)
    }

    /// The users joined to any of `roomIDs`.
    public func joinedMembers(of roomIDs: [String]) async throws -> Set<String> {
        guard !roomIDs.isEmpty else { return [] }
        let rows = try await database.query(
            """
            SELECT DISTINCT state_key FROM current_state_events
            WHERE room_id = ANY(\(roomIDs)::text[]) AND type = 'm.room.member' AND membership = 'join'
            """,
            label: "select_joined_members_of_rooms"
        )
        return try await Self.userIDs(rows)
    }

    /// Those of `candidates` who share a joined room with `userID`.
    public func usersSharingRoom(with userID: String, among candidates: [String]) async throws -> Set<String> {
        guard !candidates.isEmpty else { return [] }
        let rows = try await database.query(
            """
            SELECT DISTINCT theirs.state_key
            FROM current_state_events AS mine JOIN current_state_events AS theirs USING (room_id)
            WHERE mine.type = 'm.room.member' AND mine.state_key = \(userID) AND mine.membership = 'join'
              AND theirs.type = 'm.room.member' AND theirs.state_key = ANY(\(candidates)::text[])
              AND theirs.membership = 'join'
            """,
            label: "select_users_sharing_room"
        )
        return try await Self.userIDs(rows)
    }

    private static func userIDs(_ rows: PostgresRowSequence) async throws -> Set<String> {
        var users: Set<String> = []
        for try await userID in rows.decode(String.self) { users.insert(userID) }
        return users
    }
}

/// Every stream's head (``SyncStore/currentPositions()``).
struct SelectStreamHeads: PostgresPreparedStatement {
    static let sql = "SELECT stream, position FROM stream_heads"
    typealias Row = (String, Int64)

    func makeBindings() -> PostgresBindings { PostgresBindings() }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The current memberships of the users `$1` (``SyncStore/memberships(of:)``): prepared, as every
/// `/sync` reads them. A membership begins where `membership_since` says; the member event's
/// position stands in where it is unset.
struct SelectMembershipsOfUsers: PostgresPreparedStatement {
    static let sql = """
        SELECT c.state_key, c.room_id, c.membership, c.event_id,
               COALESCE(c.membership_since, (SELECT e.stream_ordering FROM events AS e WHERE e.event_id = c.event_id))
        FROM current_state_events AS c
        WHERE c.type = 'm.room.member' AND c.state_key = ANY($1::text[])
        ORDER BY c.room_id
        """
    typealias Row = (String, String, String?, String, Int64?)

    let userIDs: [String]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(userIDs)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
