import Foundation
import Logging
import MatrixCore
import MatrixCrypto
import MatrixEvents
import Metrics
import Replication
import RoomGraph
import Storage

/// Creates local events: places them in the room DAG, signs them, checks them against the
/// auth rules and persists them, one room at a time.
///
/// The path of every local event (DESIGN.md invariants 1, 3, 4, 5):
/// 1. take the room's lock (``RoomStore/withRoomLock(_:_:)``), so one event of a room is
///    appended at a time in the whole cluster while other rooms proceed in parallel;
/// 2. return the earlier event when the client transaction was seen before;
/// 3. `prev_events` are the forward extremities, `auth_events` the current state's events in
///    the slots `AuthorizationRules.authTypes` names, `depth` one more than the deepest prev;
/// 4. hash and sign (``EventBuilder``), then check the auth rules against those auth events,
///    which for a local event are also the current state: a refused event is never stored;
/// 5. write state group, current state, transaction ID and event in one transaction, the
///    stream position last (see `EventStore`);
/// 6. after `COMMIT`, announce the event on the events stream. Redis is only the wake-up:
///    a failed `XADD` is logged, and readers catch up from PostgreSQL by position.
public struct EventPersister: Sendable {
    let rooms: RoomStore
    let serverName: ServerName
    let signingKey: ServerSigningKey
    let publisher: StreamPublisher
    let logger: Logger

    /// The most prev events an event names; the rest stay extremities for the next one.
    static let maximumPrevEvents = 10

    private static let persisted = Counter(label: "trellis_events_persisted_total")
    private static let persistDuration = Metrics.Timer(label: "trellis_event_persist_duration_seconds")

    public init(rooms: RoomStore, serverName: ServerName, signingKey: ServerSigningKey, publisher: StreamPublisher,
                logger: Logger) {
        self.rooms = rooms
        self.serverName = serverName
        self.signingKey = signingKey
        self.publisher = publisher
        self.logger = logger
    }

    /// Creates a room of the given version with its create event and returns its ID.
    ///
    /// `content` is the create event's content from the client (`creation_content`); the server
    /// sets `room_version` and, before v11, `creator`.
    public func createRoom(
        creator: UserID, rules: RoomVersionRules, content: JSONObject, isPublic: Bool
    ) async throws -> (roomID: RoomID, createEvent: PersistedEvent) {
        var content = content
        content["room_version"] = .string(rules.id.rawValue)
        if !rules.implicitRoomCreator { content["creator"] = .string(creator.description) }
        let draft = EventDraft(type: EventType.create, stateKey: "", sender: creator, content: content)
        let builder = EventBuilder(rules: rules, serverName: serverName.description, signingKey: signingKey)

        let explicitRoomID = rules.roomIDFromCreateEvent
            ? nil : try RoomID(parsing: "!\(SecureToken.alphanumeric(18)):\(serverName)")
        let pdu = try build(builder, draft, roomID: explicitRoomID, prevEvents: [], authEvents: [], depth: 1)
        let roomID = try explicitRoomID ?? EventHashing.roomID(ofCreateEvent: pdu.json, rules: rules)
        do {
            try AuthorizationRules.checkAuthEvents(pdu, provider: [EventID: PDU](), rules: rules)
        } catch {
            throw MatrixError(.forbidden, error.message)
        }

        let event = try await timed {
            try await rooms.withRoomLock(roomID.description) { room in
                let record = try await room.createRoom(version: rules.id.rawValue, creator: creator.description,
                                                       isPublic: isPublic)
                return try await room.append(LocalAppend(event: newEvent(pdu, roomID: roomID), stateChange: stateChange(of: pdu)),
                                             after: record)
            }
        }
        await announce(event)
        return (roomID, event)
    }

    /// Creates `draft` in an existing room and returns it as persisted.
    ///
    /// Throws `M_NOT_FOUND` for an unknown room, `M_FORBIDDEN` when the auth rules refuse the
    /// event, `M_TOO_LARGE` for an event over 64 KiB. With a `transaction` seen before, returns
    /// the event of the first attempt and creates nothing.
    public func send(
        _ draft: EventDraft, in roomID: RoomID, transaction: ClientTransactionKey? = nil
    ) async throws -> PersistedEvent {
        let (event, isNew) = try await timed {
            try await rooms.withRoomLock(roomID.description) { room -> (PersistedEvent, Bool) in
                guard let tip = try await room.tip(transaction: transaction, state: Self.stateSlots(for: draft)) else {
                    throw MatrixError(.notFound, "Unknown room \(roomID)")
                }
                if let earlierID = tip.earlierEventID, let earlier = try await room.events([earlierID])[earlierID] {
                    return (earlier, false)
                }
                let local = try await prepare(draft, in: room, tip: tip, roomID: roomID, transaction: transaction)
                return (try await room.append(local, after: tip.room), true)
            }
        }
        if isNew { await announce(event) }
        return event
    }

    /// Builds the signed PDU of `draft` on top of the room's extremities and checks its auth;
    /// for a redaction, also the event it redacts in its pruned form.
    private func prepare(
        _ draft: EventDraft, in room: RoomWriteTransaction, tip: RoomTip, roomID: RoomID,
        transaction: ClientTransactionKey?
    ) async throws -> LocalAppend {
        guard let rules = RoomVersionRules.rules(for: RoomVersionID(tip.room.roomVersion)) else {
            throw MatrixError(.unsupportedRoomVersion, "Room version \(tip.room.roomVersion) is not supported")
        }
        let slots = AuthorizationRules.authTypes(
            forEventOfType: draft.type, stateKey: draft.stateKey, sender: draft.sender, content: draft.content, rules: rules
        )
        let loaded = try tip.state.values.map { try $0.pdu() }
        let authState = loaded.filter { event in event.stateSlot.map(slots.contains) ?? false }
        let builder = EventBuilder(rules: rules, serverName: serverName.description, signingKey: signingKey)
        let pdu = try build(
            builder, draft, roomID: roomID,
            prevEvents: try await prevEvents(Array(tip.extremities.prefix(Self.maximumPrevEvents)), in: room, rules: rules),
            authEvents: try authState.sorted { $0.eventID.description < $1.eventID.description }
                .map { try EventReference(to: $0, rules: rules) },
            depth: tip.depth + 1
        )
        let authMap = Dictionary(loaded.compactMap { event in event.stateSlot.map { ($0, event) } },
                                 uniquingKeysWith: { first, _ in first })
        do {
            try AuthorizationRules.check(pdu, authState: authMap, rules: rules)
        } catch {
            throw MatrixError(.forbidden, error.message)
        }
        var local = LocalAppend(event: try newEvent(pdu, roomID: roomID), stateChange: stateChange(of: pdu),
                                transaction: transaction)
        if let target = draft.redacts {
            local.redaction = try await redaction(of: target, by: pdu, in: room, roomID: roomID, authState: authMap,
                                                  rules: rules)
        }
        return local
    }

    /// The current-state slots read with the room's tip, before its version is known: the auth
    /// types under the rules with the most of them (v12, where restricted joins name their
    /// authoriser) plus the create event, which the rules read even when `auth_events` omits it
    /// (v12). Older versions ignore the extra slots.
    static func stateSlots(for draft: EventDraft) -> [StateSlotKey] {
        let slots = AuthorizationRules.authTypes(
            forEventOfType: draft.type, stateKey: draft.stateKey, sender: draft.sender, content: draft.content, rules: .v12
        )
        return (slots + [StateKey(type: EventType.create, stateKey: "")]).map(StateSlotKey.init)
    }

    /// References to the prev events, sorted by ID; room versions 1 and 2 also need their hashes.
    private func prevEvents(_ eventIDs: [String], in room: RoomWriteTransaction, rules: RoomVersionRules) async throws
        -> [EventReference] {
        guard rules.eventIDFormat == .explicit else {
            return try eventIDs.sorted().map { EventReference(eventID: try EventID(parsing: $0)) }
        }
        return try await room.events(eventIDs).values.map { try $0.pdu() }
            .sorted { $0.eventID.description < $1.eventID.description }
            .map { try EventReference(to: $0, rules: rules) }
    }
    /// The event a local redaction redacts, pruned: it must be in this room (`404`), and the
    /// redaction must come from its sender or someone with the `redact` power level (`403`).
    private func redaction(
        of target: EventID, by redaction: PDU, in room: RoomWriteTransaction, roomID: RoomID,
        authState: [StateKey: PDU], rules: RoomVersionRules
    ) async throws -> (eventID: String, prunedJSON: String) {
        guard let stored = try await room.events([target.description])[target.description],
              stored.roomID == roomID.description, stored.rejectedReason == nil
        else { throw MatrixError(.notFound, "Event \(target) not found in this room") }
        let original = try stored.pdu()
        guard AuthorizationRules.mayRedact(original, by: redaction, authState: authState, rules: rules) else {
            throw MatrixError(.forbidden, "You don't have permission to redact this event")
        }
        let pruned = MatrixEvents.redacted(original.json, rules: rules)
        return (target.description, String(decoding: try pruned.canonicalJSONBytes(strict: false), as: UTF8.self))
    }

    private func build(
        _ builder: EventBuilder, _ draft: EventDraft, roomID: RoomID?, prevEvents: [EventReference],
        authEvents: [EventReference], depth: Int64
    ) throws -> PDU {
        let pdu: PDU
        do {
            pdu = try builder.build(draft, roomID: roomID, prevEvents: prevEvents, authEvents: authEvents, depth: depth,
                                    originServerTimestamp: unixMilliseconds())
        } catch .notCanonicalJSON {
            throw MatrixError(.badJSON, "Event content must be canonical JSON: integers only, no floats")
        } catch {
            throw MatrixError(.badJSON, "Invalid event: \(error)")
        }
        let size = try pdu.json.canonicalJSONBytes(strict: false).count
        guard size <= AuthorizationRules.maximumEventSize else {
            throw MatrixError(.tooLarge, "Event too large: \(size) bytes, the limit is \(AuthorizationRules.maximumEventSize)")
        }
        return pdu
    }

    private func newEvent(_ pdu: PDU, roomID: RoomID) throws -> NewEvent {
        NewEvent(
            eventID: pdu.eventID.description, roomID: roomID.description, type: pdu.type, stateKey: pdu.stateKey,
            sender: pdu.sender.description, depth: pdu.depth, originServerTimestamp: pdu.originServerTimestamp,
            prevEventIDs: pdu.prevEventIDs.map(\.description),
            json: String(decoding: try pdu.json.canonicalJSONBytes(strict: false), as: UTF8.self)
        )
    }

    private func stateChange(of pdu: PDU) -> (slot: StateSlotKey, membership: String?)? {
        pdu.stateSlot.map { (StateSlotKey($0), pdu.type == EventType.member ? pdu.membership : nil) }
    }

    /// `XADD`s the event's position to the events stream; readers fetch the event from PostgreSQL.
    private func announce(_ event: PersistedEvent) async {
        Self.persisted.increment()
        var fields = [
            "position": String(event.streamPosition), "room_id": event.roomID, "event_id": event.eventID,
            "type": event.type, "sender": event.sender,
        ]
        if let stateKey = event.stateKey { fields["state_key"] = stateKey }
        await StreamAnnouncer(publisher: publisher, logger: logger).announce(.events, fields)
    }

    private func timed<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            Self.persistDuration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000
                                                   + elapsed.components.attoseconds / 1_000_000_000)
        }
        return try await body()
    }

}
