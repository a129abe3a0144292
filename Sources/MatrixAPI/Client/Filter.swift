import MatrixCore

/// The filter of `POST /_matrix/client/v3/user/{userId}/filter`, checked for shape.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#post_matrixclientv3useruseridfilter
/// (the `Filter`, `RoomFilter`, `RoomEventFilter` and `EventFilter` schemas). Unknown keys are kept:
/// clients may send fields of newer spec versions.
public enum Filter {
    /// Checks every known field: a wrong type is `M_BAD_JSON`, a value outside its range or set
    /// `M_INVALID_PARAM`.
    public static func validate(_ filter: JSONObject) throws(MatrixError) {
        _ = try filter.stringArray("event_fields")
        if let format = try filter.string("event_format"), format != "client", format != "federation" {
            throw MatrixError(.invalidParam, "event_format must be 'client' or 'federation'")
        }
        for key in ["presence", "account_data"] {
            if let eventFilter = try filter.object(key) { try validateEventFilter(eventFilter) }
        }
        if let room = try filter.object("room") { try validateRoomFilter(room) }
    }

    /// `RoomFilter`: which rooms, and the event filters of each section of a room.
    private static func validateRoomFilter(_ filter: JSONObject) throws(MatrixError) {
        try validateRoomIDs(filter)
        _ = try filter.bool("include_leave")
        for key in ["ephemeral", "state", "timeline", "account_data"] {
            if let eventFilter = try filter.object(key) { try validateRoomEventFilter(eventFilter) }
        }
    }

    /// `RoomEventFilter`: an `EventFilter` with room and lazy-loading options.
    private static func validateRoomEventFilter(_ filter: JSONObject) throws(MatrixError) {
        try validateEventFilter(filter)
        try validateRoomIDs(filter)
        for key in ["lazy_load_members", "include_redundant_members", "unread_thread_notifications", "contains_url"] {
            _ = try filter.bool(key)
        }
    }

    /// `EventFilter`: a positive `limit` and lists of senders and types.
    private static func validateEventFilter(_ filter: JSONObject) throws(MatrixError) {
        if let limit = try filter.integer("limit"), limit < 1 {
            throw MatrixError(.invalidParam, "limit must be greater than 0")
        }
        for key in ["senders", "not_senders", "types", "not_types"] {
            _ = try filter.stringArray(key)
        }
    }

    private static func validateRoomIDs(_ filter: JSONObject) throws(MatrixError) {
        for key in ["rooms", "not_rooms"] {
            for roomID in try filter.stringArray(key) ?? [] where (try? RoomID(parsing: roomID)) == nil {
                throw MatrixError(.invalidParam, "'\(key)' must hold room IDs; '\(roomID)' is not one")
            }
        }
    }
}
