import MatrixAPI
import MatrixCore

/// What a `/sync` filter asks for, read from the filter's JSON (inline or uploaded).
///
/// https://spec.matrix.org/v1.16/client-server-api/#filtering
public struct SyncFilter: Sendable, Equatable {
    /// The room timeline's filter; its `limit` defaults to ``defaultTimelineLimit``.
    public var timeline: RoomEventFilter
    /// Whether `state` holds only the members of the timeline's senders (and the user's own).
    public var lazyLoadMembers: Bool
    /// Rooms to include (`nil`: all) and to leave out.
    public var rooms: Set<String>?
    public var notRooms: Set<String>
    /// Whether rooms the user left or was banned from appear in an initial sync.
    public var includeLeave: Bool
    /// Whether global and per-room account data are delivered.
    public var accountData: Bool
    /// Whether presence is delivered.
    public var presence: Bool

    /// Synapse's default timeline limit, which clients expect.
    public static let defaultTimelineLimit = 10
    /// The most events one room's timeline holds in a response.
    public static let maximumTimelineLimit = 1000

    public init() {
        timeline = RoomEventFilter()
        lazyLoadMembers = false
        rooms = nil
        notRooms = []
        includeLeave = false
        accountData = true
        presence = true
    }

    /// Reads a filter, checked with `Filter.validate` for shape first.
    public init(json: JSONObject) throws(MatrixError) {
        try Filter.validate(json)
        self.init()
        let room = try json.object("room") ?? [:]
        timeline = try RoomEventFilter(json: try room.object("timeline") ?? [:])
        lazyLoadMembers = try room.object("state")?.bool("lazy_load_members") ?? false
        rooms = try room.stringArray("rooms").map(Set.init)
        notRooms = Set(try room.stringArray("not_rooms") ?? [])
        includeLeave = try room.bool("include_leave") ?? false
        accountData = try json.object("account_data")?.stringArray("types") != []
        presence = try json.object("presence")?.stringArray("types") != []
    }

    /// The timeline limit, defaulted and capped.
    public var timelineLimit: Int {
        min(timeline.limit ?? Self.defaultTimelineLimit, Self.maximumTimelineLimit)
    }

    /// Whether the filter lets `roomID` through.
    public func includes(_ roomID: String) -> Bool {
        !notRooms.contains(roomID) && (rooms?.contains(roomID) ?? true)
    }
}
