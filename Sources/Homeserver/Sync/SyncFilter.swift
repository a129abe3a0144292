import MatrixAPI
import MatrixCore

/// What a `/sync` filter asks for, read from the filter's JSON (inline or uploaded).
///
/// https://spec.matrix.org/v1.16/client-server-api/#filtering
public struct SyncFilter: Sendable, Equatable {
    /// The room timeline's filter; its `limit` defaults to ``defaultTimelineLimit``.
    public var timeline: RoomEventFilter
    /// The filter of rooms' `state`: types and senders, and lazy-loaded members.
    /// (`include_redundant_members` is read but always holds: members are sent again.)
    public var state: RoomEventFilter
    /// The filters of rooms' `ephemeral` events (typing, receipts) and `account_data`.
    public var ephemeral: RoomEventFilter
    public var roomAccountData: RoomEventFilter
    /// Rooms to include (`nil`: all) and to leave out.
    public var rooms: Set<String>?
    public var notRooms: Set<String>
    /// Whether rooms the user left or was banned from appear in an initial sync.
    public var includeLeave: Bool
    /// The filters of global account data and of presence.
    public var accountData: RoomEventFilter
    public var presence: RoomEventFilter

    /// Synapse's default timeline limit, which clients expect.
    public static let defaultTimelineLimit = 10
    /// The most events one room's timeline holds in a response.
    public static let maximumTimelineLimit = 1000

    public init() {
        timeline = RoomEventFilter()
        state = RoomEventFilter()
        ephemeral = RoomEventFilter()
        roomAccountData = RoomEventFilter()
        rooms = nil
        notRooms = []
        includeLeave = false
        accountData = RoomEventFilter()
        presence = RoomEventFilter()
    }

    /// Reads a filter, checked with `Filter.validate` for shape first.
    public init(json: JSONObject) throws(MatrixError) {
        try Filter.validate(json)
        self.init()
        let room = try json.object("room") ?? [:]
        timeline = try RoomEventFilter(json: try room.object("timeline") ?? [:])
        state = try RoomEventFilter(json: try room.object("state") ?? [:])
        ephemeral = try RoomEventFilter(json: try room.object("ephemeral") ?? [:])
        roomAccountData = try RoomEventFilter(json: try room.object("account_data") ?? [:])
        rooms = try room.stringArray("rooms").map(Set.init)
        notRooms = Set(try room.stringArray("not_rooms") ?? [])
        includeLeave = try room.bool("include_leave") ?? false
        accountData = try RoomEventFilter(json: try json.object("account_data") ?? [:])
        presence = try RoomEventFilter(json: try json.object("presence") ?? [:])
    }

    /// The timeline limit, defaulted and capped.
    public var timelineLimit: Int {
        min(timeline.limit ?? Self.defaultTimelineLimit, Self.maximumTimelineLimit)
    }

    /// Whether `state` holds only the members of the timeline's senders (and the user's own).
    public var lazyLoadMembers: Bool { state.lazyLoadMembers }

    /// Whether the filter lets `roomID` through.
    public func includes(_ roomID: String) -> Bool {
        !notRooms.contains(roomID) && (rooms?.contains(roomID) ?? true)
    }
}
