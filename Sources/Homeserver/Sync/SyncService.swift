import Foundation
import MatrixCore
import MatrixEvents
import Replication
import Storage

/// One room of a `/sync` response's `join` or `leave` section.
public struct SyncedRoom: Sendable {
    public var roomID: String
    /// The newest events of the range, oldest first.
    public var timeline: [PersistedEvent]
    /// The texts of `timeline`'s events, in its order, formatted for clients without a viewer,
    /// when the sync formatted them once for all the long-polls that read them together (see
    /// ``ClientEventFormatter/texts(grouped:formatted:for:)``); `nil` when the response formats them.
    public var formattedTimeline: [String]?
    /// Whether events before `timeline` were left out (a gap the client fills with `/messages`).
    public var limited: Bool
    /// The `/messages` position before the first timeline event.
    public var previousBatch: Int64
    /// State before the timeline that the client does not have yet.
    public var state: [PersistedEvent]
    /// The user's account data of this room that changed.
    public var accountData: [AccountDataChange]
    /// Receipts of this room that moved.
    public var receipts: [StoredReceipt]
    /// Member counts and heroes, for joined rooms.
    public var summary: RoomMemberSummary?
    /// The users typing in the room, when that changed in the range.
    public var typing: [String]?
    /// For joined rooms: the notifications and highlights after the user's read receipt.
    public var unread: (notifications: Int, highlights: Int)?
}

/// One room of the `invite` or `knock` section: the room's stripped state and the membership.
public struct StrippedRoom: Sendable {
    public var roomID: String
    /// The room's stripped state followed by the invite or knock event.
    public var strippedState: [PersistedEvent]
}

/// What a `/sync` response holds, before formatting.
public struct SyncResult: Sendable {
    public var nextBatch: SyncToken
    public var joined: [SyncedRoom] = []
    public var invited: [StrippedRoom] = []
    public var knocked: [StrippedRoom] = []
    public var left: [SyncedRoom] = []
    /// The user's global account data that changed.
    public var accountData: [AccountDataChange] = []
    /// `m.presence` events of users sharing a room with the user (and their own).
    public var presence: [JSONObject] = []
    /// To-device events for the requesting device, as JSON texts.
    public var toDevice: [String] = []
    /// Users whose device lists changed (`changed`) or who share no room with the user any more.
    public var deviceListsChanged: Set<String> = []
    public var deviceListsLeft: Set<String> = []
    /// The device's unclaimed one-time keys per algorithm, and its unused fallback key types.
    public var oneTimeKeyCounts: [String: Int] = [:]
    public var unusedFallbackKeyTypes: [String] = []

    /// Whether nothing changed for the user in the range (key counts are not changes).
    public var isEmpty: Bool {
        joined.isEmpty && invited.isEmpty && knocked.isEmpty && left.isEmpty && accountData.isEmpty && toDevice.isEmpty && presence.isEmpty
            && deviceListsChanged.isEmpty && deviceListsLeft.isEmpty
    }
}

/// `/sync`: what changed for a user since a token, waiting for a change when nothing did.
///
/// A room appears when it has events, receipts, typing changes or account data in the range, or
/// when the user's membership changed in it. A room the user joined in the range comes with its full state
/// (or lazy-loaded members) as an initial sync gives it; otherwise `state` holds only the state
/// that changed in a gap left out of a `limited` timeline. Invites carry the room's stripped
/// state; rooms left in the range carry their timeline up to the leave, and no later.
///
/// A class, so that the closures and child tasks of a sync share one reference to it instead of
/// copying (and retaining) each of its stores, services and readers.
public final class SyncService: Sendable {
    let store: SyncStore
    let rooms: RoomStore
    let typing: TypingService
    let presence: PresenceService
    let devices: DeviceSync
    let notifier: SyncNotifier
    /// Reads that the long-polls a change wakes together share (``ReadCoalescer``).
    let sharedPositions = ReadCoalescer<Int, StreamPositions>()
    let sharedRoomChanges = ReadCoalescer<RoomChangesKey, [String: Bool]>()
    let sharedTimelines = ReadCoalescer<TimelineKey, SharedTimeline>()
    /// The typing and presence counters, when a filter leaves their data out.
    let sharedCounters = ReadCoalescer<Int, (typing: Int64?, presence: Int64?)>()
    /// Per-device reads of the long-polls a change wakes together, read in batches: the user's
    /// memberships and the device's key counts, read together so that a woken long-poll waits
    /// for one batch instead of two.
    let userDevices: BatchedReader<UserDevice, UserDeviceState>
    let unreadCounts: BatchedReader<UserRooms, [String: (notifications: Int, highlights: Int)]>

    /// A user's memberships (every room they have one in) and their device's key counts.
    struct UserDeviceState: Sendable {
        var memberships: [RoomMembership] = []
        var keyCounts = DeviceKeyCounts()
    }

    struct RoomChangesKey: Hashable, Sendable {
        var rooms: [String]
        var after: Int64
        var upTo: Int64
    }

    /// A timeline range's newest `limit` events, oldest first, whether it held more, and their
    /// texts formatted without a viewer: made once for all the long-polls that read the range
    /// together. Only timelines whose events link to no other event (no redaction, no replaced
    /// state) are formatted here, which takes no read: the others are formatted with the rest of
    /// the response, whose links are read together.
    struct SharedTimeline: Sendable {
        var events: [PersistedEvent]
        var limited: Bool
        var texts: [String]?

        /// `newestFirst` is the range as read, up to `limit + 1` events.
        init(newestFirst: [PersistedEvent], limit: Int) throws {
            events = newestFirst.prefix(limit).reversed()
            limited = newestFirst.count > limit
            texts = events.contains { $0.redactedBy != nil || $0.replacesState != nil } ? nil
                : try events.map { try $0.clientEventJSON() }
        }
    }

    struct TimelineKey: Hashable, Sendable {
        var roomID: String
        var from: Int64
        var to: Int64?
        var limit: Int
        var filter: TimelineFilter
    }

    /// State types an invite shows before the user joins (stripped state).
    static let strippedStateTypes: Set<String> = [
        EventType.create, EventType.joinRules, EventType.name, EventType.avatar, EventType.canonicalAlias,
        EventType.encryption, EventType.topic,
    ]

    /// How many rooms one sync reads at a time.
    static let roomConcurrency = 8

    public init(
        store: SyncStore, rooms: RoomStore, typing: TypingService, presence: PresenceService, toDevice: ToDeviceStore,
        keys: EndToEndKeyStore, notifier: SyncNotifier
    ) {
        self.store = store
        self.rooms = rooms
        self.typing = typing
        self.presence = presence
        self.devices = DeviceSync(toDevice: toDevice, tracker: DeviceListTracker(store: store))
        self.notifier = notifier
        userDevices = BatchedReader(absent: UserDeviceState()) { devices in
            async let memberships = store.memberships(of: Array(Set(devices.map(\.userID))))
            async let keyCounts = keys.keyCounts(of: devices)
            let (membershipsByUser, keyCountsByDevice) = try await (memberships, keyCounts)
            return Dictionary(devices.map { device in
                (device, UserDeviceState(memberships: membershipsByUser[device.userID] ?? [],
                                         keyCounts: keyCountsByDevice[device] ?? DeviceKeyCounts()))
            }, uniquingKeysWith: { first, _ in first })
        }
        unreadCounts = BatchedReader(absent: [:]) { requests in try await store.unreadCounts(of: requests) }
    }

    /// The changes for the requester after `since` (everything when `nil`), waiting up to
    /// `timeout` for one when there are none. The request also keeps the user's presence
    /// (`setPresence`, online when `nil`).
    public func sync(
        for requester: Requester, since: SyncToken?, filter: SyncFilter, fullState: Bool, setPresence: String?,
        timeout: Duration
    ) async throws -> SyncResult {
        let deadline = ContinuousClock.now + timeout
        let userID = requester.userID.description
        await presence.syncing(userID, setPresence: setPresence, timeout: timeout)
        var (result, joinedRooms) = try await changes(for: requester, since: since, filter: filter,
                                                      fullState: fullState, wake: nil)
        guard since != nil, timeout > .zero else { return result }
        while result.isEmpty, ContinuousClock.now < deadline, !Task.isCancelled {
            let ticket = notifier.register(userID: userID, rooms: joinedRooms)
            // Spent by the wait; this is for a check that throws before it.
            defer { notifier.cancel(ticket) }
            // Checked after registering: a change committed from here on also wakes the ticket.
            let typingPosition = await typing.position() ?? result.nextBatch.typing
            let presencePosition = await presence.position() ?? result.nextBatch.presence
            let changed = try await store.currentPositions() != result.nextBatch.positions
                || typingPosition != result.nextBatch.typing || presencePosition != result.nextBatch.presence
            let wake = await notifier.wait(ticket, until: changed ? .now : deadline)
            (result, joinedRooms) = try await changes(for: requester, since: since, filter: filter,
                                                      fullState: fullState, wake: wake)
        }
        return result
    }

    /// One computation of the changes, without waiting, and the joined rooms the filter lets
    /// through (the rooms whose changes would wake a wait for more). `wake` is the notifier's
    /// wake that ended the request's wait, if one did: its long-polls share their reads.
    ///
    /// The request's parts are passed one by one on purpose: bundled in a struct for each pass,
    /// they made every waiting long-poll's async frames about 3 KB larger (30 MB more RSS with
    /// 10,000 waiting, measured).
    func changes(for requester: Requester, since: SyncToken?, filter: SyncFilter, fullState: Bool, wake: UInt64?)
        async throws -> (SyncResult, joinedRooms: Set<String>) {
        let userID = requester.userID.description
        let store = store
        let now = try await sharedPositions.value(for: 0, wake: wake) { try await store.currentPositions() }
        let from = Self.positions(of: since)
        let userDevice = try await userDevices.value(for: UserDevice(userID: userID, deviceID: requester.deviceID))
        let allMemberships = userDevice.memberships
        // Each joined room with events in the range, and whether any of them changed a membership:
        // read once for the long-polls a change wakes together. An initial sync shows every
        // joined room in full anyway, so it does not read its rooms' whole histories for this.
        let allJoinedIDs = allMemberships.filter { $0.membership == Membership.join }.map(\.roomID)
        let withEvents = since == nil ? [:] : try await sharedRoomChanges.value(
            for: RoomChangesKey(rooms: allJoinedIDs, after: from.events, upTo: now.events), wake: wake
        ) { try await store.roomsWithEvents(allJoinedIDs, after: from.events, upTo: now.events) }
        let device = try await devices.update(
            for: requester, since: since, now: now, memberships: allMemberships,
            roomsWithMembershipChanges: Set(withEvents.filter(\.value).keys), keyCounts: userDevice.keyCounts
        )
        let memberships = allMemberships.filter { filter.includes($0.roomID) }
        let joined = memberships.filter { $0.membership == Membership.join }
        let joinedIDs = joined.map(\.roomID)
        // Filtered out, typing and presence still move the token to their counters' positions, so
        // that a long-poll does not take the counters' moves for changes it has not seen.
        let (typing, presence) = (typing, presence)
        let (sinceTyping, sincePresence) = (since?.typing ?? 0, since?.presence ?? 0)
        let showsTyping = filter.ephemeral.allows(type: "m.typing")
        // Shared as Redis gave them: each long-poll falls back to its own token's positions.
        let counters = showsTyping && !filter.presence.excludesEverything ? (typing: nil, presence: nil)
            : try await sharedCounters.value(for: 0, wake: wake) {
                (await typing.position(), await presence.position())
            }
        let typingNow = showsTyping ? await typing.snapshot(of: joinedIDs, after: sinceTyping)
            : TypingRegistry.Snapshot(position: counters.typing ?? sinceTyping, typing: [:])
        var nextPositions = now.atLeast(since?.positions)
        nextPositions.toDevice = max(device.toDevicePosition, since?.positions.toDevice ?? 0)
        let presenceNow = filter.presence.excludesEverything
            ? (position: counters.presence ?? sincePresence, events: [])
            : try await presence.changes(for: userID, after: sincePresence)
        var result = SyncResult(nextBatch: SyncToken(nextPositions, typing: typingNow.position,
                                                     presence: presenceNow.position))
        result.presence = presenceNow.events.filter { event in
            filter.presence.allows(type: "m.presence", sender: event["sender"]?.stringValue ?? "")
        }
        result.toDevice = device.messages
        result.deviceListsChanged = device.changed
        result.deviceListsLeft = device.left
        result.oneTimeKeyCounts = device.oneTimeKeyCounts
        result.unusedFallbackKeyTypes = device.unusedFallbackKeyTypes
        // An initial sync shows who is typing; an incremental one also shows who stopped.
        let typingByRoom = !filter.ephemeral.allows(type: "m.typing") ? [:]
            : since == nil ? typingNow.typing.filter { !$0.value.isEmpty } : typingNow.typing
        let accountData = try await store.accountDataChanges(of: userID, after: from.accountData, upTo: now.accountData)
        result.accountData = accountData.filter { $0.roomID == nil && filter.accountData.allows(type: $0.type) }
        result.joined = try await joinedRooms(
            joined, of: userID, since: since, now: now, filter: filter, fullState: fullState, withEvents: withEvents,
            accountData: accountData, typingByRoom: typingByRoom, wake: wake
        )
        // Invites, knocks and leaves to show: those in the range, and an initial sync's leaves if asked.
        let shown = memberships.filter { membership in
            switch membership.membership {
            case Membership.invite, Membership.knock: membership.streamPosition > from.events
            case Membership.leave, Membership.ban:
                since == nil ? filter.includeLeave : membership.streamPosition > from.events
            default: false
            }
        }
        if !shown.isEmpty {
            (result.invited, result.knocked, result.left) = try await otherRooms(
                shown, of: userID, since: since, filter: filter, wake: wake
            )
        }
        return (result, Set(joinedIDs))
    }

    // Each part of a pass has a function (and an async frame) of its own, which is freed when it
    // returns: as one function, a pass's frame took about 7 KB, and each of the thousands of
    // long-polls that one message wakes at once allocated it from the heap.

    /// The positions a sync from `since` reads after: before every stream's first for an
    /// initial sync.
    private static func positions(of since: SyncToken?) -> StreamPositions {
        since?.positions ?? StreamPositions(all: -1)
    }

    /// The joined rooms to show of `joined`: those that are new to the user, or have events,
    /// account data (of `accountData`), receipts or typing changes (of `typingByRoom`) in the range.
    private func joinedRooms(
        _ joined: [RoomMembership], of userID: String, since: SyncToken?, now: StreamPositions, filter: SyncFilter,
        fullState: Bool, withEvents: [String: Bool], accountData: [AccountDataChange],
        typingByRoom: [String: [String]], wake: UInt64?
    ) async throws -> [SyncedRoom] {
        let from = Self.positions(of: since)
        let accountDataByRoom = Dictionary(grouping: accountData.filter { change in
            change.roomID != nil && filter.roomAccountData.allows(type: change.type)
        }) { $0.roomID ?? "" }
        // Read even when filtered out: the user's own read receipts change their unread counts.
        let receiptsByRoom = Dictionary(
            grouping: try await store.receipts(in: joined.map(\.roomID), for: userID, after: from.receipts,
                                               upTo: now.receipts),
            by: \.roomID
        )
        @Sendable func isNew(_ membership: RoomMembership) -> Bool {
            since == nil || fullState || membership.streamPosition > from.events
        }
        let changedRooms = joined.filter { membership in
            isNew(membership) || withEvents[membership.roomID] != nil || accountDataByRoom[membership.roomID] != nil
                || receiptsByRoom[membership.roomID] != nil || typingByRoom[membership.roomID] != nil
        }
        guard !changedRooms.isEmpty else { return [] }
        let unread = try await unreadCounts.value(for: UserRooms(userID: userID, roomIDs: changedRooms.map(\.roomID)))
        return try await concurrentlyInOrder(changedRooms) { membership in
            var room = try await self.timeline(of: membership.roomID, since: isNew(membership) ? nil : from.events,
                                               upTo: now.events, userID: userID, filter: filter, isPresent: true,
                                               wake: wake)
            room.accountData = accountDataByRoom[membership.roomID] ?? []
            room.receipts = filter.ephemeral.allows(type: "m.receipt") ? receiptsByRoom[membership.roomID] ?? [] : []
            // The summary changes only with memberships.
            if isNew(membership) || withEvents[membership.roomID] == true {
                room.summary = try await self.store.memberSummary(of: membership.roomID, reader: userID)
            }
            room.typing = typingByRoom[membership.roomID]
            room.unread = unread[membership.roomID] ?? (0, 0)
            return room
        }
    }

    /// The `invite`, `knock` and `leave` sections of the memberships `shown`.
    private func otherRooms(
        _ shown: [RoomMembership], of userID: String, since: SyncToken?, filter: SyncFilter, wake: UInt64?
    ) async throws -> (invited: [StrippedRoom], knocked: [StrippedRoom], left: [SyncedRoom]) {
        let from = Self.positions(of: since)
        var (invited, knocked, left): ([StrippedRoom], [StrippedRoom], [SyncedRoom]) = ([], [], [])
        let events = try await rooms.events(shown.map(\.eventID))
        for membership in shown {
            guard let event = events[membership.eventID] else { continue }
            switch membership.membership {
            case Membership.invite:
                invited.append(StrippedRoom(roomID: membership.roomID, strippedState: try await strippedState(of: event)))
            case Membership.knock:
                knocked.append(StrippedRoom(roomID: membership.roomID, strippedState: try await strippedState(of: event)))
            default:
                guard try await store.wasJoined(userID, to: membership.roomID) else {
                    // Someone who never joined (a rejected invite or knock) sees only their membership.
                    left.append(SyncedRoom(roomID: membership.roomID, timeline: [event], formattedTimeline: nil,
                                           limited: false, previousBatch: event.streamPosition - 1, state: [],
                                           accountData: [], receipts: [], summary: nil, typing: nil, unread: nil))
                    continue
                }
                left.append(try await timeline(of: membership.roomID, since: since.map { _ in from.events },
                                               upTo: event.streamPosition, userID: userID, filter: filter,
                                               isPresent: false, wake: wake))
            }
        }
        return (invited, knocked, left)
    }

    /// A room's timeline in the gap range `(since, upTo]` (from the room's start when `since` is
    /// `nil`), newest first read and returned oldest first, with the state the client lacks:
    /// everything before the timeline when `since` is `nil`, else what changed after `since` in a
    /// gap the timeline left out.
    ///
    /// `isPresent` says that `upTo` is the head just read, as it is for joined rooms; `wake` is the
    /// wake that ended the request's wait, if any.
    private func timeline(
        of roomID: String, since: Int64?, upTo: Int64, userID: String, filter: SyncFilter, isPresent: Bool,
        wake: UInt64?
    ) async throws -> SyncedRoom {
        let limit = filter.timelineLimit
        let rooms = rooms
        let key = TimelineKey(roomID: roomID, from: upTo, to: since, limit: limit + 1,
                              filter: filter.timeline.timelineFilter)
        let shared = try await sharedTimelines.value(for: key, wake: wake) {
            try SharedTimeline(
                newestFirst: try await rooms.timeline(of: roomID, from: upTo, to: since, direction: .backward,
                                                      limit: limit + 1, filter: key.filter),
                limit: limit
            )
        }
        let (events, limited, texts) = (shared.events, shared.limited, shared.texts)
        let start = (events.first?.streamPosition).map { $0 - 1 } ?? upTo
        let state = since != nil && !limited ? []
            : try await state(before: events, of: roomID, at: start, since: since, isPresent: isPresent,
                              userID: userID, filter: filter)
        return SyncedRoom(roomID: roomID, timeline: events, formattedTimeline: texts, limited: limited,
                          previousBatch: start, state: state, accountData: [], receipts: [], summary: nil, typing: nil,
                          unread: nil)
    }

    /// The state the filter shows of the room's state before `timeline`, which starts after gap
    /// `start`: all of it when `since` is `nil`, else what changed after `since`, ordered by
    /// position. Never inlined: most timelines need no state, and its frame would make theirs
    /// larger.
    @inline(never)
    private func state(
        before timeline: [PersistedEvent], of roomID: String, at start: Int64, since: Int64?, isPresent: Bool,
        userID: String, filter: SyncFilter
    ) async throws -> [PersistedEvent] {
        var state = try await stateBefore(timeline, of: roomID, at: start, isPresent: isPresent)
        if let since { state = state.filter { $0.streamPosition > since } }
        state = state.filter { filter.state.allows(type: $0.type, sender: $0.sender) }
        if filter.lazyLoadMembers {
            let senders = Set(timeline.map(\.sender)).union([userID])
            state = state.filter { $0.type != EventType.member || senders.contains($0.stateKey ?? "") }
        }
        return state.sorted { $0.streamPosition < $1.streamPosition }
    }

    /// The room's state before `timeline`, which starts after gap `start`. When the timeline
    /// reaches the present and changes no state, that is the current state, one indexed read;
    /// otherwise it is the state group at `start`.
    private func stateBefore(_ timeline: [PersistedEvent], of roomID: String, at start: Int64, isPresent: Bool)
        async throws -> [PersistedEvent] {
        if isPresent, !timeline.contains(where: { $0.stateKey != nil }) {
            return try await rooms.currentStateEvents(of: roomID)
        }
        guard let group = try await rooms.stateGroup(of: roomID, at: start) else { return [] }
        return try await rooms.stateEvents(ofGroup: group)
    }

    /// `transform` of each element, up to ``roomConcurrency`` at a time, in the elements' order.
    private func concurrentlyInOrder<Element: Sendable, Transformed: Sendable>(
        _ elements: [Element], _ transform: @escaping @Sendable (Element) async throws -> Transformed
    ) async throws -> [Transformed] {
        // Most woken long-polls have one room to show: no child task for it.
        if elements.count == 1 { return [try await transform(elements[0])] }
        return try await inTaskGroup(elements, transform)
    }

    /// ``concurrentlyInOrder(_:_:)`` of several elements, in child tasks. Never inlined: its
    /// task group's body would make the frame of every caller about 1.5 KB larger.
    @inline(never)
    private func inTaskGroup<Element: Sendable, Transformed: Sendable>(
        _ elements: [Element], _ transform: @escaping @Sendable (Element) async throws -> Transformed
    ) async throws -> [Transformed] {
        try await withThrowingTaskGroup(of: (Int, Transformed).self) { group in
            var results = [Transformed?](repeating: nil, count: elements.count)
            var next = 0
            func startNext() {
                guard next < elements.count else { return }
                let index = next, element = elements[index]
                group.addTask { (index, try await transform(element)) }
                next += 1
            }
            for _ in 0..<Self.roomConcurrency { startNext() }
            while let (index, transformed) = try await group.next() {
                results[index] = transformed
                startNext()
            }
            return results.compactMap { $0 }
        }
    }

    /// The room's current state of the stripped types, then the invite or knock event.
    private func strippedState(of invite: PersistedEvent) async throws -> [PersistedEvent] {
        let state = try await rooms.currentStateEvents(of: invite.roomID)
            .filter { Self.strippedStateTypes.contains($0.type) }
            .sorted { $0.streamPosition < $1.streamPosition }
        return state + [invite]
    }
}
