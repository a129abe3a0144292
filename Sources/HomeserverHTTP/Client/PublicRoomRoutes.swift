import Homeserver
import Hummingbird
import MatrixCore
import MatrixEvents
import Storage

/// The public room directory: `GET /publicRooms` (`limit`, `since`, `server`) and
/// `POST /publicRooms` (the same plus `filter.generic_search_term` and `filter.room_types`).
public struct PublicRoomRoutes: Sendable {
    let list: PublicRoomList

    public init(list: PublicRoomList) {
        self.list = list
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("publicRooms") { request, _ in
                let query = request.uri.queryParameters
                let limit = try query.get("limit").map { text throws -> Int in
                    guard let limit = Int(text) else { throw MatrixError(.invalidParam, "Invalid limit") }
                    return limit
                }
                let page = try await list.page(server: query.get("server"), limit: limit, since: query.get("since"),
                                               filter: PublicRoomFilter())
                return Self.json(page)
            }
            group.post("publicRooms") { request, _ in
                let body = try await request.jsonObject()
                let filter = try body.object("filter") ?? [:]
                let page = try await list.page(
                    server: request.uri.queryParameters.get("server"), limit: try body.integer("limit").map(Int.init),
                    since: try body.string("since"),
                    filter: PublicRoomFilter(searchTerm: try filter.string("generic_search_term"),
                                             roomTypes: try Self.roomTypes(in: filter))
                )
                return Self.json(page)
            }
        }
    }

    /// `filter.room_types`: strings, and `null` for rooms without a type.
    private static func roomTypes(in filter: JSONObject) throws -> [String?]? {
        try filter.array("room_types")?.map { value throws -> String? in
            switch value {
            case .string(let type): return type
            case .null: return nil
            default: throw MatrixError(.badJSON, "'room_types' must be an array of strings or null")
            }
        }
    }

    private static func json(_ page: PublicRoomsPage) -> JSONObject {
        var response: JSONObject = [
            "chunk": .array(page.rooms.map { .object(chunk($0)) }),
            "total_room_count_estimate": .integer(Int64(page.totalRoomCountEstimate)),
        ]
        if let next = page.nextBatch { response["next_batch"] = .string(next) }
        if let previous = page.previousBatch { response["prev_batch"] = .string(previous) }
        return response
    }

    /// One `PublishedRoomsChunk`; optional fields are left out when the room has no value.
    private static func chunk(_ room: PublicRoomSummary) -> JSONObject {
        var chunk: JSONObject = [
            "room_id": .string(room.roomID), "num_joined_members": .integer(Int64(room.joinedMembers)),
            "world_readable": .bool(room.historyVisibility == HistoryVisibility.worldReadable),
            "guest_can_join": .bool(room.guestAccess == "can_join"),
        ]
        let optional = [
            ("name", room.name), ("topic", room.topic), ("canonical_alias", room.canonicalAlias),
            ("avatar_url", room.avatarURL), ("join_rule", room.joinRule), ("room_type", room.roomType),
        ]
        for case let (key, value?) in optional { chunk[key] = .string(value) }
        return chunk
    }
}
