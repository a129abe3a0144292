import Homeserver
import Hummingbird
import MatrixAPI
import MatrixCore
import MatrixEvents
import Storage

/// Creating rooms, membership, sending, state and reading timelines.
public struct RoomRoutes: Sendable {
    let creator: RoomCreator
    let rooms: RoomService
    let limits: RateLimits

    /// The largest `limit` of `/messages`.
    static let maximumPageSize = 1000

    public init(creator: RoomCreator, rooms: RoomService, limits: RateLimits) {
        self.creator = creator
        self.rooms = rooms
        self.limits = limits
    }

    /// The requester, after taking a token from their `action` bucket.
    private func limitedRequester(_ context: MatrixRequestContext, _ action: RateLimitedAction) async throws -> Requester {
        let requester = try context.requireRequester()
        try await limits.check(action, for: requester)
        return requester
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.post("createRoom") { request, context in
                let requester = try await limitedRequester(context, .message)
                let (roomID, alias) = try await creator.createRoom(
                    CreateRoomRequest(json: try await request.jsonObject()), by: requester.userID
                )
                var response: JSONObject = ["room_id": .string(roomID.description)]
                if let alias { response["room_alias"] = .string(alias.description) }
                return response
            }
            group.get("joined_rooms") { _, context in
                let joined = try await rooms.joinedRooms(of: try context.requireRequester().userID)
                return ["joined_rooms": .array(joined.map(JSONValue.string))] as JSONObject
            }
            registerMembership(on: group)
            registerSending(on: group)
            registerReading(on: group)
        }
    }

    private func registerMembership(on group: RouterGroup<MatrixRequestContext>) {
        group.post("join/:roomIdOrAlias") { request, context in
            let body = try await request.jsonObjectOrEmpty()
            let roomID = try await rooms.join(try context.pathParameter("roomIdOrAlias"), by: try await limitedRequester(context, .join),
                                              reason: try body.string("reason"))
            return ["room_id": .string(roomID.description)] as JSONObject
        }
        group.post("rooms/:roomId/join") { request, context in
            let body = try await request.jsonObjectOrEmpty()
            let roomID = try await rooms.join(try context.roomID().description, by: try await limitedRequester(context, .join),
                                              reason: try body.string("reason"))
            return ["room_id": .string(roomID.description)] as JSONObject
        }
        group.post("knock/:roomIdOrAlias") { request, context in
            let requester = try await limitedRequester(context, .join)
            let body = try await request.jsonObjectOrEmpty()
            let roomID = try await rooms.resolve(try context.pathParameter("roomIdOrAlias"))
            try await rooms.setMembership(Membership.knock, of: requester.userID, in: roomID, by: requester,
                                          reason: try body.string("reason"))
            return ["room_id": .string(roomID.description)] as JSONObject
        }
        group.post("rooms/:roomId/leave") { request, context in
            let requester = try context.requireRequester()
            let body = try await request.jsonObjectOrEmpty()
            try await rooms.setMembership(Membership.leave, of: requester.userID, in: try context.roomID(), by: requester,
                                          reason: try body.string("reason"))
            return JSONObject()
        }
        group.post("rooms/:roomId/forget") { _, context in
            try await rooms.forget(try context.roomID(), by: try context.requireRequester())
            return JSONObject()
        }
        let targeted: [(String, String)] = [
            ("invite", Membership.invite), ("kick", Membership.leave), ("ban", Membership.ban),
        ]
        for (action, membership) in targeted {
            group.post("rooms/:roomId/\(action)") { request, context in
                let body = try await request.jsonObject()
                guard let target = try? UserID(parsing: try body.requiredString("user_id")) else {
                    throw MatrixError(.invalidParam, "Invalid user_id")
                }
                let action: RateLimitedAction = membership == Membership.invite ? .join : .message
                try await rooms.setMembership(membership, of: target, in: try context.roomID(),
                                              by: try await limitedRequester(context, action), reason: try body.string("reason"))
                return JSONObject()
            }
        }
        group.post("rooms/:roomId/unban") { request, context in
            let body = try await request.jsonObject()
            guard let target = try? UserID(parsing: try body.requiredString("user_id")) else {
                throw MatrixError(.invalidParam, "Invalid user_id")
            }
            try await rooms.unban(target, in: try context.roomID(), by: try context.requireRequester(),
                                  reason: try body.string("reason"))
            return JSONObject()
        }
    }

    private func registerSending(on group: RouterGroup<MatrixRequestContext>) {
        group.put("rooms/:roomId/send/:eventType/:txnId") { request, context in
            let event = try await rooms.send(
                type: try context.pathParameter("eventType"), content: try await request.jsonObject(),
                in: try context.roomID(), by: try await limitedRequester(context, .message),
                transactionID: try context.pathParameter("txnId")
            )
            return ["event_id": .string(event.eventID)] as JSONObject
        }
        for path in ["rooms/:roomId/state/:eventType", "rooms/:roomId/state/:eventType/:stateKey"] {
            group.put(RouterPath(path)) { request, context in
                let event = try await rooms.setState(
                    type: try context.pathParameter("eventType"),
                    stateKey: (try? context.pathParameter("stateKey")) ?? "",
                    content: try await request.jsonObject(), in: try context.roomID(),
                    by: try await limitedRequester(context, .message)
                )
                return ["event_id": .string(event.eventID)] as JSONObject
            }
            group.get(RouterPath(path)) { request, context in
                let requester = try context.requireRequester()
                let event = try await rooms.stateEvent(
                    type: try context.pathParameter("eventType"),
                    stateKey: (try? context.pathParameter("stateKey")) ?? "",
                    in: try context.roomID(), for: requester.userID
                )
                if request.uri.queryParameters.get("format") == "event" {
                    return try await rooms.clientEvents([event], for: requester)[0]
                }
                return try event.pdu().content
            }
        }
        group.put("rooms/:roomId/redact/:eventId/:txnId") { request, context in
            guard let target = try? EventID(parsing: try context.pathParameter("eventId")) else {
                throw MatrixError(.invalidParam, "Invalid event ID")
            }
            let body = try await request.jsonObjectOrEmpty()
            let event = try await rooms.redact(
                target, reason: try body.string("reason"), in: try context.roomID(),
                by: try await limitedRequester(context, .message),
                transactionID: try context.pathParameter("txnId")
            )
            return ["event_id": .string(event.eventID)] as JSONObject
        }
    }

    /// The `limit` query parameter (else the filter's, else 10), capped at `maximumPageSize`.
    private static func limit(_ request: Request, filter: RoomEventFilter) throws -> Int {
        min(try request.nonNegativeIntegerQuery("limit") ?? filter.limit ?? 10, maximumPageSize)
    }

    /// The `filter` query parameter (a JSON `RoomEventFilter`), or no filter.
    private static func filter(_ request: Request) throws -> RoomEventFilter {
        try request.formQuery("filter").map { text throws -> RoomEventFilter in try RoomEventFilter(queryParameter: text) }
            ?? RoomEventFilter()
    }

    private func registerReading(on group: RouterGroup<MatrixRequestContext>) {
        group.get("rooms/:roomId/state") { _, context in
            let requester = try context.requireRequester()
            let events = try await rooms.state(of: try context.roomID(), for: requester.userID)
            return JSONValue.array(try await rooms.clientEvents(events, for: requester).map(JSONValue.object))
        }
        group.get("rooms/:roomId/event/:eventId") { _, context in
            let requester = try context.requireRequester()
            let event = try await rooms.event(try context.pathParameter("eventId"), in: try context.roomID(),
                                              for: requester.userID)
            return try await rooms.clientEvents([event], for: requester)[0]
        }
        group.get("rooms/:roomId/members") { request, context in
            let query = request.uri.queryParameters
            let requester = try context.requireRequester()
            let events = try await rooms.members(
                of: try context.roomID(), for: requester.userID,
                at: try query.get("at").map(TimelineToken.decode),
                membership: query.get("membership"), notMembership: query.get("not_membership")
            )
            return ["chunk": .array(try await rooms.clientEvents(events, for: requester).map(JSONValue.object))] as JSONObject
        }
        group.get("rooms/:roomId/joined_members") { _, context in
            let events = try await rooms.members(of: try context.roomID(), for: try context.requireRequester().userID,
                                                 membership: Membership.join, notMembership: nil)
            var joined: JSONObject = [:]
            for event in events {
                let content = try event.pdu().content
                var profile: JSONObject = [:]
                if let name = content["displayname"], name != .null { profile["display_name"] = name }
                if let avatar = content["avatar_url"], avatar != .null { profile["avatar_url"] = avatar }
                joined[event.stateKey ?? ""] = .object(profile)
            }
            return ["joined": .object(joined)] as JSONObject
        }
        group.get("rooms/:roomId/messages") { request, context in
            let query = request.uri.queryParameters
            let direction: TimelineDirection
            switch query.get("dir") ?? "b" {
            case "b": direction = .backward
            case "f": direction = .forward
            default: throw MatrixError(.invalidParam, "dir must be 'b' or 'f'")
            }
            let filter = try Self.filter(request)
            let requester = try context.requireRequester()
            let page = try await rooms.messages(
                in: try context.roomID(), for: requester.userID,
                from: try query.get("from").map(TimelineToken.decode), to: try query.get("to").map(TimelineToken.decode),
                direction: direction, limit: try Self.limit(request, filter: filter), filter: filter
            )
            let formatted = try await rooms.clientEventTexts(grouped: [page.events, page.state], for: requester)
            var response = JSONTextObject()
            response.set("chunk", array: formatted[0])
            response.set("start", string: TimelineToken.encode(page.start))
            if let end = page.end { response.set("end", string: TimelineToken.encode(end)) }
            if !page.state.isEmpty { response.set("state", array: formatted[1]) }
            return response
        }
        group.get("rooms/:roomId/context/:eventId") { request, context in
            let filter = try Self.filter(request)
            let requester = try context.requireRequester()
            let result = try await rooms.context(
                of: try context.pathParameter("eventId"), in: try context.roomID(),
                for: requester.userID, limit: try Self.limit(request, filter: filter), filter: filter
            )
            let formatted = try await rooms.clientEventTexts(
                grouped: [[result.event], result.before, result.after, result.state], for: requester
            )
            var response = JSONTextObject()
            response.set("event", text: formatted[0][0])
            response.set("events_before", array: formatted[1])
            response.set("events_after", array: formatted[2])
            response.set("state", array: formatted[3])
            response.set("start", string: TimelineToken.encode(result.start))
            response.set("end", string: TimelineToken.encode(result.end))
            return response
        }
    }
}
