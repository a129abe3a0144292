import Foundation
import MatrixAPI
import MatrixCore
import MatrixEvents
import Storage

/// A page of a room's timeline and the gaps around it (see `RoomStore.timeline`).
public struct TimelinePage: Sendable {
    public var events: [PersistedEvent]
    /// The gap the page was read from.
    public var start: Int64
    /// The gap to read the next page from; `nil` when there is nothing more.
    public var end: Int64?
    /// Member events of the page's senders, when lazy-loading members.
    public var state: [PersistedEvent]
}

/// An event with the events around it and the room state (`/context`).
public struct EventContext: Sendable {
    public var before: [PersistedEvent]
    public var event: PersistedEvent
    public var after: [PersistedEvent]
    public var start: Int64
    public var end: Int64
    public var state: [PersistedEvent]
}

/// What a user may read of a room's timeline: events up to `upTo` (inclusive), by stream position.
public struct RoomVisibility: Sendable, Equatable {
    /// The last stream position the user may see; `Int64.max` while they are joined.
    public var upTo: Int64
}

/// Messaging, state and membership in existing rooms, for local users.
///
/// Every read checks what the requester may see (``visibility(of:for:)``): members see the
/// room; users who left see it up to their leave; `world_readable` rooms are open to all.
public struct RoomService: Sendable {
    let persister: EventPersister
    let rooms: RoomStore
    let profiles: ProfileService
    let serverName: ServerName

    public init(persister: EventPersister, rooms: RoomStore, profiles: ProfileService, serverName: ServerName) {
        self.persister = persister
        self.rooms = rooms
        self.profiles = profiles
        self.serverName = serverName
    }

    // MARK: - Sending

    /// Sends a message event; retries with the same transaction return the first event.
    public func send(
        type: String, content: JSONObject, in roomID: RoomID, by requester: Requester, transactionID: String
    ) async throws -> PersistedEvent {
        let draft = EventDraft(type: type, sender: requester.userID, content: content)
        return try await persister.send(draft, in: roomID, transaction: transactionKey(requester, transactionID))
    }

    /// Sets a state event. Setting the content the slot already has returns the existing event.
    ///
    /// An `m.room.member` event goes through here only as a joined member's change of their own
    /// profile in the room (a per-room display name, as Element's `/myroomnick` and bridges'
    /// puppets set it); membership changes go through the membership endpoints.
    public func setState(
        type: String, stateKey: String, content: JSONObject, in roomID: RoomID, by requester: Requester
    ) async throws -> PersistedEvent {
        if type == EventType.member {
            let current = try await rooms.membership(of: requester.userID.description, in: roomID.description)
            guard stateKey == requester.userID.description, current?.membership == Membership.join,
                  content["membership"]?.stringValue == Membership.join
            else {
                throw MatrixError(.forbidden, "Use the membership endpoints to change m.room.member")
            }
        }
        if let current = try await rooms.currentStateEvent(of: roomID.description, type: type, stateKey: stateKey),
           current.sender == requester.userID.description, try current.pdu().content == content {
            return current
        }
        return try await persister.send(
            EventDraft(type: type, stateKey: stateKey, sender: requester.userID, content: content), in: roomID
        )
    }

    /// Redacts an event; retries with the same transaction return the first redaction.
    public func redact(
        _ eventID: EventID, reason: String?, in roomID: RoomID, by requester: Requester, transactionID: String
    ) async throws -> PersistedEvent {
        var content: JSONObject = [:]
        if let reason { content["reason"] = .string(reason) }
        let draft = EventDraft(type: EventType.redaction, sender: requester.userID, content: content, redacts: eventID)
        return try await persister.send(draft, in: roomID, transaction: transactionKey(requester, transactionID))
    }

    private func transactionKey(_ requester: Requester, _ transactionID: String) -> ClientTransactionKey {
        ClientTransactionKey(userID: requester.userID.description, deviceID: requester.deviceID, transactionID: transactionID)
    }

    // MARK: - Membership

    /// Joins a room this server knows, by ID or alias; returns the room ID.
    public func join(_ roomIDOrAlias: String, by requester: Requester, reason: String? = nil) async throws -> RoomID {
        let roomID = try await resolve(roomIDOrAlias)
        guard try await rooms.room(roomID.description) != nil else {
            throw MatrixError(.notFound, "No known servers: this server does not know the room")
        }
        if let (membership, _) = try await rooms.membership(of: requester.userID.description, in: roomID.description),
           membership == Membership.join {
            return roomID
        }
        try await setMembership(Membership.join, of: requester.userID, in: roomID, by: requester, reason: reason)
        return roomID
    }

    /// Sends a membership change for `target`: invite, leave (leave or kick), ban, unban, knock.
    public func setMembership(
        _ membership: String, of target: UserID, in roomID: RoomID, by requester: Requester, reason: String? = nil,
        extraContent: JSONObject = [:]
    ) async throws {
        // The target's name and avatar go with joins, invites and knocks; the persister answers
        // 404 for an unknown room.
        var content: JSONObject = ["membership": .string(membership)]
        if [Membership.join, Membership.invite, Membership.knock].contains(membership) {
            content = try await profiles.memberContent(for: target, membership: membership)
        }
        if let reason { content["reason"] = .string(reason) }
        for (key, value) in extraContent { content[key] = value }
        _ = try await persister.send(
            EventDraft(type: EventType.member, stateKey: target.description, sender: requester.userID, content: content),
            in: roomID
        )
    }

    /// Unbans a user: a leave that only a ban can precede (`403` otherwise).
    public func unban(_ target: UserID, in roomID: RoomID, by requester: Requester, reason: String?) async throws {
        guard let (membership, _) = try await rooms.membership(of: target.description, in: roomID.description),
              membership == Membership.ban
        else { throw MatrixError(.forbidden, "\(target) is not banned") }
        try await setMembership(Membership.leave, of: target, in: roomID, by: requester, reason: reason)
    }

    /// Forgets a room the requester has left or was banned from: its history is no longer theirs
    /// to read (`400 M_BAD_STATE` while they are still in it).
    public func forget(_ roomID: RoomID, by requester: Requester) async throws {
        guard let (membership, event) = try await rooms.membership(of: requester.userID.description,
                                                                   in: roomID.description)
        else { return }
        guard membership == Membership.leave || membership == Membership.ban else {
            throw MatrixError(.badState, "You must leave the room before forgetting it")
        }
        try await rooms.forget(roomID.description, by: requester.userID.description, membershipEventID: event.eventID)
    }

    /// A room ID, or the room an alias points to (`404 M_NOT_FOUND` for an unknown alias).
    public func resolve(_ roomIDOrAlias: String) async throws -> RoomID {
        if roomIDOrAlias.hasPrefix("#") {
            guard let alias = try? RoomAlias(parsing: roomIDOrAlias) else {
                throw MatrixError(.invalidParam, "Invalid room alias")
            }
            guard let roomID = try await rooms.roomID(forAlias: alias.description) else {
                throw MatrixError(.notFound, "Room alias \(alias) not found")
            }
            return try RoomID(parsing: roomID)
        }
        guard let roomID = try? RoomID(parsing: roomIDOrAlias) else {
            throw MatrixError(.invalidParam, "Invalid room ID or alias")
        }
        return roomID
    }

    // MARK: - Reading

    /// What `userID` may see of the room, or `403 M_FORBIDDEN`.
    public func visibility(of roomID: RoomID, for userID: UserID) async throws -> RoomVisibility {
        let membership = try await rooms.membership(of: userID.description, in: roomID.description)
        if membership?.membership == Membership.join {
            return RoomVisibility(upTo: .max)
        }
        if let visibility = try await rooms.currentStateEvent(of: roomID.description, type: EventType.historyVisibility,
                                                              stateKey: ""),
           try visibility.pdu().content["history_visibility"]?.stringValue == HistoryVisibility.worldReadable {
            return RoomVisibility(upTo: .max)
        }
        if let (state, event) = membership, state == Membership.leave || state == Membership.ban,
           try await rooms.forgottenMembership(of: userID.description, in: roomID.description) != event.eventID,
           try await rooms.firstJoinPosition(of: userID.description, in: roomID.description) != nil {
            return RoomVisibility(upTo: event.streamPosition)
        }
        throw MatrixError(.forbidden, "You aren't a member of the room and weren't previously a member of the room.")
    }

    /// One event of the room, if the requester may see it.
    public func event(_ eventID: String, in roomID: RoomID, for userID: UserID) async throws -> PersistedEvent {
        try await event(eventID, in: roomID, visibleUpTo: try await visibility(of: roomID, for: userID))
    }

    /// One event of the room if `visibility` covers it, else `404 M_NOT_FOUND`.
    private func event(_ eventID: String, in roomID: RoomID, visibleUpTo visibility: RoomVisibility) async throws
        -> PersistedEvent {
        guard let event = try await rooms.events([eventID])[eventID], event.roomID == roomID.description,
              event.rejectedReason == nil, event.streamPosition <= visibility.upTo
        else { throw MatrixError(.notFound, "Event not found.") }
        return event
    }

    /// The room's current state (or, for a user who left, the state as it stands; Synapse
    /// answers with the state at the leave, which needs the state-at-event reads of `/sync`).
    public func state(of roomID: RoomID, for userID: UserID) async throws -> [PersistedEvent] {
        _ = try await visibility(of: roomID, for: userID)
        return try await rooms.currentStateEvents(of: roomID.description).sorted { $0.streamPosition < $1.streamPosition }
    }

    /// One slot of the room's current state, or `404 M_NOT_FOUND`.
    public func stateEvent(type: String, stateKey: String, in roomID: RoomID, for userID: UserID) async throws -> PersistedEvent {
        _ = try await visibility(of: roomID, for: userID)
        guard let event = try await rooms.currentStateEvent(of: roomID.description, type: type, stateKey: stateKey) else {
            throw MatrixError(.notFound, "Event not found.")
        }
        return event
    }

    /// The member events, current or as they were at gap `position` (`/members?at=`), filtered by
    /// membership (`membership`, `not_membership`), in stream order.
    public func members(
        of roomID: RoomID, for userID: UserID, at position: Int64? = nil, membership: String?, notMembership: String?
    ) async throws -> [PersistedEvent] {
        let visibility = try await visibility(of: roomID, for: userID)
        let events: [PersistedEvent]
        if let position {
            guard let group = try await rooms.stateGroup(of: roomID.description, at: min(position, visibility.upTo)) else {
                return []
            }
            events = try await rooms.stateEvents(ofGroup: group, types: [EventType.member])
                .sorted { $0.streamPosition < $1.streamPosition }
        } else {
            events = try await rooms.memberEvents(of: roomID.description, memberships: membership.map { [$0] })
        }
        return try events.filter { event in
            let value = try event.pdu().membership
            return (membership == nil || value == membership) && (notMembership == nil || value != notMembership)
        }
    }

    /// A page of the timeline (`/messages`), read from gap `from` (the newest gap when reading
    /// backwards without one, the room's start when reading forwards), never past what the user
    /// may see. `end` is the gap to continue from, absent when nothing is left.
    public func messages(
        in roomID: RoomID, for userID: UserID, from: Int64?, to: Int64?, direction: TimelineDirection, limit: Int,
        filter: RoomEventFilter = RoomEventFilter()
    ) async throws -> TimelinePage {
        let visibility = try await visibility(of: roomID, for: userID)
        var start: Int64, stop: Int64?
        switch direction {
        case .backward:
            start = min(from ?? .max, visibility.upTo)
            stop = to
        case .forward:
            start = from ?? 0
            stop = min(to ?? .max, visibility.upTo)
        }
        let events = try await rooms.timeline(of: roomID.description, from: start, to: stop, direction: direction,
                                              limit: limit, filter: filter.timelineFilter)
        if start == .max {
            // "Now": the gap after the newest event returned, or the stream's head for an empty page.
            start = if let newest = events.first { newest.streamPosition } else { try await rooms.currentStreamPosition() }
        }
        var end: Int64?
        if events.count == limit, let last = events.last {
            end = direction == .backward ? last.streamPosition - 1 : last.streamPosition
        }
        let state = filter.lazyLoadMembers ? try await memberEvents(of: Set(events.map(\.sender)), in: roomID) : []
        return TimelinePage(events: events, start: start, end: end, state: state)
    }

    /// An event with up to `limit` events around it (`/context`): half before, the rest after,
    /// and the room state at the last event returned (only the senders' members when lazy-loading).
    public func context(
        of eventID: String, in roomID: RoomID, for userID: UserID, limit: Int, filter: RoomEventFilter = RoomEventFilter()
    ) async throws -> EventContext {
        let visibility = try await visibility(of: roomID, for: userID)
        let event = try await event(eventID, in: roomID, visibleUpTo: visibility)
        let beforeLimit = limit / 2
        let before = try await rooms.timeline(of: roomID.description, from: event.streamPosition - 1, to: nil,
                                              direction: .backward, limit: beforeLimit, filter: filter.timelineFilter)
        let after = try await rooms.timeline(of: roomID.description, from: event.streamPosition,
                                             to: visibility.upTo, direction: .forward, limit: limit - beforeLimit,
                                             filter: filter.timelineFilter)
        let last = after.last ?? event
        var state: [PersistedEvent] = []
        if let group = try await rooms.stateGroup(of: roomID.description, at: last.streamPosition) {
            let senders = Set(([event] + before + after).map(\.sender))
            state = try await rooms.stateEvents(ofGroup: group).filter { stateEvent in
                !filter.lazyLoadMembers || stateEvent.type != EventType.member || senders.contains(stateEvent.stateKey ?? "")
            }
        }
        return EventContext(
            before: before, event: event, after: after,
            start: (before.last ?? event).streamPosition - 1, end: last.streamPosition, state: state
        )
    }

    /// The current member events of `users` in the room (lazy-loaded members of a page).
    private func memberEvents(of users: Set<String>, in roomID: RoomID) async throws -> [PersistedEvent] {
        var events: [PersistedEvent] = []
        for user in users.sorted() {
            if let event = try await rooms.currentStateEvent(of: roomID.description, type: EventType.member, stateKey: user) {
                events.append(event)
            }
        }
        return events
    }

    /// Events in the client format for `viewer` (``ClientEventFormatter``).
    public func clientEvents(_ events: [PersistedEvent], for viewer: Requester) async throws -> [JSONObject] {
        try await ClientEventFormatter(rooms: rooms).objects(grouped: [events], for: viewer)[0]
    }

    /// The events of several lists of one response as JSON texts for `viewer`, with one read of
    /// the events they link to.
    public func clientEventTexts(grouped groups: [[PersistedEvent]], for viewer: Requester) async throws -> [[String]] {
        try await ClientEventFormatter(rooms: rooms).texts(grouped: groups, for: viewer)
    }

    /// The rooms the user has joined.
    public func joinedRooms(of userID: UserID) async throws -> [String] {
        try await rooms.rooms(of: userID.description, membership: Membership.join)
    }
}

extension RoomEventFilter {
    /// The event-matching part, as storage reads it.
    var timelineFilter: TimelineFilter {
        TimelineFilter(types: types, notTypes: notTypes, senders: senders, notSenders: notSenders)
    }
}
