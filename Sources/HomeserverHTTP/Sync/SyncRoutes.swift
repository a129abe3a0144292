import Homeserver
import Hummingbird
import MatrixCore
import Storage

/// `GET /sync`, served by the sync worker.
///
/// https://spec.matrix.org/v1.16/client-server-api/#get_matrixclientv3sync
public struct SyncRoutes: Sendable {
    let sync: SyncService
    let filters: FilterService
    let formatter: ClientEventFormatter
    /// The longest a request may wait for a change, whatever its `timeout` asks.
    let maximumTimeout: Duration

    public init(sync: SyncService, filters: FilterService, formatter: ClientEventFormatter, maximumTimeout: Duration) {
        self.sync = sync
        self.filters = filters
        self.formatter = formatter
        self.maximumTimeout = maximumTimeout
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("sync") { request, context in
                let query = request.uri.queryParameters
                let requester = try context.requireRequester()
                let setPresence = query.get("set_presence")
                if let setPresence, !["online", "offline", "unavailable"].contains(setPresence) {
                    throw MatrixError(.invalidParam, "set_presence must be online, offline or unavailable")
                }
                // `use_state_after` (state at the end of the timeline) is not served yet; clients that
                // ask for it read `state` when `state_after` is absent, as the spec lets them.
                _ = try request.booleanQuery("use_state_after")
                let since = try query.get("since").map { token throws(MatrixError) in try SyncToken(parsing: token) }
                let timeout = try Self.milliseconds(query.get("timeout"))
                let result = try await sync.sync(
                    for: requester, since: since, filter: try await filter(request.formQuery("filter"), for: requester),
                    fullState: try request.booleanQuery("full_state") ?? false, setPresence: setPresence,
                    timeout: min(timeout, maximumTimeout)
                )
                return try await response(result, for: requester)
            }
        }
    }

    /// The `filter` parameter: an inline JSON filter or the ID of an uploaded one.
    private func filter(_ parameter: String?, for requester: Requester) async throws -> SyncFilter {
        guard let parameter else { return SyncFilter() }
        if parameter.hasPrefix("{") {
            guard let json = (try? JSONValue(parsing: parameter))?.objectValue else {
                throw MatrixError(.notJSON, "filter is not a JSON object")
            }
            return try SyncFilter(json: json)
        }
        return try SyncFilter(json: try await filters.filter(parameter, owner: requester.userID, requester: requester))
    }

    private static func milliseconds(_ text: String?) throws(MatrixError) -> Duration {
        guard let text else { return .zero }
        guard let value = Int64(text), value >= 0 else {
            throw MatrixError(.invalidParam, "timeout must be a non-negative integer of milliseconds")
        }
        return .milliseconds(value)
    }

    // MARK: - Response

    private func response(_ result: SyncResult, for requester: Requester) async throws -> JSONTextObject {
        var rooms = JSONTextObject()
        rooms.set("join", object: try await section(result.joined, for: requester))
        rooms.set("invite", object: try await strippedSection(result.invited, key: "invite_state"))
        rooms.set("leave", object: try await section(result.left, for: requester))
        rooms.set("knock", object: try await strippedSection(result.knocked, key: "knock_state"))

        var body = JSONTextObject()
        body.set("next_batch", string: result.nextBatch.description)
        body.set("rooms", object: rooms)
        body.set("account_data", events: result.accountData.map(Self.accountDataEvent))
        body.set("presence", events: result.presence.map { JSONValue.object($0).jsonString() })
        body.set("to_device", events: result.toDevice)
        if result.deviceListsChanged.isEmpty, result.deviceListsLeft.isEmpty {
            body.set("device_lists", text: Self.noDeviceListChanges)
        } else {
            body.set("device_lists", object: Self.deviceLists(changed: result.deviceListsChanged,
                                                              left: result.deviceListsLeft))
        }
        body.set("device_one_time_keys_count", object: KeyRoutes.counts(result.oneTimeKeyCounts))
        body.set("device_unused_fallback_key_types", strings: result.unusedFallbackKeyTypes)
        return body
    }

    /// The `invite` or `knock` section: each room's stripped state under `key`.
    private func strippedSection(_ rooms: [StrippedRoom], key: String) async throws -> JSONTextObject {
        var section = JSONTextObject()
        // Most responses have no invites or knocks: no formatting call (and its async frame) for them.
        guard !rooms.isEmpty else { return section }
        let states = try await formatter.objects(grouped: rooms.map(\.strippedState), for: nil)
        for (room, state) in zip(rooms, states) {
            let stripped = state.map { event -> JSONValue in
                var strippedEvent: JSONObject = [:]
                for field in ["type", "state_key", "sender", "content"] { strippedEvent[field] = event[field] }
                return .object(strippedEvent)
            }
            var entry = JSONTextObject()
            entry.set(key, .object(["events": .array(stripped)]))
            section.set(room.roomID, object: entry)
        }
        return section
    }

    /// The `join` or `leave` section: each room's timeline, state, account data and receipts.
    private func section(_ rooms: [SyncedRoom], for requester: Requester) async throws -> JSONTextObject {
        var section = JSONTextObject()
        // Nor, mostly, left rooms.
        guard !rooms.isEmpty else { return section }
        let formatted = try await formatter.texts(
            grouped: rooms.flatMap { [$0.timeline, $0.state] }, formatted: rooms.flatMap { [$0.formattedTimeline, nil] },
            for: requester
        )
        for (index, room) in rooms.enumerated() {
            let (events, state) = (formatted[2 * index], formatted[2 * index + 1])
            var timeline = JSONTextObject()
            timeline.set("events", array: events)
            timeline.set("limited", bool: room.limited)
            timeline.set("prev_batch", string: TimelineToken.encode(room.previousBatch))
            var entry = JSONTextObject()
            entry.set("timeline", object: timeline)
            entry.set("state", events: state)
            entry.set("account_data", events: room.accountData.map(Self.accountDataEvent))
            entry.set("ephemeral", events: Self.ephemeralEvents(of: room))
            if let unread = room.unread {
                var counts = JSONTextObject()
                counts.set("notification_count", integer: unread.notifications)
                counts.set("highlight_count", integer: unread.highlights)
                entry.set("unread_notifications", object: counts)
            }
            entry.set("summary", object: room.summary.map(Self.summary) ?? JSONTextObject())
            section.set(room.roomID, object: entry)
        }
        return section
    }

    /// `device_lists`: the users whose devices changed and those who share no room any more.
    private static func deviceLists(changed: Set<String>, left: Set<String>) -> JSONTextObject {
        var object = JSONTextObject()
        object.set("changed", strings: changed.sorted())
        object.set("left", strings: left.sorted())
        return object
    }

    /// Most responses' `device_lists`, written once.
    private static let noDeviceListChanges = deviceLists(changed: [], left: []).text

    /// A joined room's `summary`: heroes and member counts.
    private static func summary(_ summary: RoomMemberSummary) -> JSONTextObject {
        var object = JSONTextObject()
        object.set("m.heroes", strings: summary.heroes)
        object.set("m.joined_member_count", integer: summary.joinedCount)
        object.set("m.invited_member_count", integer: summary.invitedCount)
        return object
    }

    /// An account data event: its type and its content as stored.
    private static func accountDataEvent(_ change: AccountDataChange) -> String {
        var event = JSONTextObject()
        event.set("type", string: change.type)
        event.set("content", text: change.content)
        return event.text
    }

    /// A room's `m.typing` event, when typing changed, and `m.receipt` event, when receipts moved.
    private static func ephemeralEvents(of room: SyncedRoom) -> [String] {
        var events: [String] = []
        if let typing = room.typing {
            let content: JSONObject = ["user_ids": .array(typing.map(JSONValue.string))]
            events.append(JSONValue.object(["type": "m.typing", "content": .object(content)]).jsonString())
        }
        if !room.receipts.isEmpty { events.append(receiptEvent(room.receipts)) }
        return events
    }

    /// The `m.receipt` event of a room's receipts: event → receipt type → user → timestamp.
    private static func receiptEvent(_ receipts: [StoredReceipt]) -> String {
        var content: JSONObject = [:]
        for receipt in receipts {
            var byType = content[receipt.eventID]?.objectValue ?? [:]
            var byUser = byType[receipt.receiptType]?.objectValue ?? [:]
            var details: JSONObject = ["ts": .integer(receipt.timestamp)]
            if !receipt.threadID.isEmpty { details["thread_id"] = .string(receipt.threadID) }
            byUser[receipt.userID] = .object(details)
            byType[receipt.receiptType] = .object(byUser)
            content[receipt.eventID] = .object(byType)
        }
        return JSONValue.object(["type": "m.receipt", "content": .object(content)]).jsonString()
    }
}

extension JSONTextObject {
    /// Sets the member `key` to `{"events": [...]}` around the JSON texts `texts`; most of a
    /// response's such members are empty, and take no object of their own.
    fileprivate mutating func set(_ key: String, events texts: [String]) {
        guard !texts.isEmpty else { return set(key, text: Self.noEvents) }
        set(key, object: Self.events(texts))
    }

    private static func events(_ texts: [String]) -> JSONTextObject {
        var object = JSONTextObject()
        object.set("events", array: texts)
        return object
    }

    /// `{"events":[]}`, written once.
    private static let noEvents = events([]).text
}
