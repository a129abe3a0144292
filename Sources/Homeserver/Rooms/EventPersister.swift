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
/// 1. wait for the process's next batch (``SendBatcher``), which takes the locks of all its
///    rooms (``RoomStore/withRoomLocks(_:_:)``), so a room takes one batch at a time in the
///    whole cluster while other rooms proceed in parallel;
/// 2. return the earlier event when the client transaction was seen before;
/// 3. `prev_events` are the forward extremities, `auth_events` the current state's events in
///    the slots `AuthorizationRules.authTypes` names, `depth` one more than the deepest prev;
///    within a batch, each event is the next one's only extremity;
/// 4. hash and sign (``EventBuilder``), then check the auth rules against those auth events,
///    which for a local event are also the current state: a refused event is never stored;
/// 5. write state groups, current state, transaction IDs and events in one transaction, the
///    stream positions last (see `StreamHead`);
/// 6. after `COMMIT`, announce each event on the events stream. Redis is only the wake-up:
///    a failed `XADD` is logged, and readers catch up from PostgreSQL by position.
public struct EventPersister: Sendable {
    let rooms: RoomStore
    let serverName: ServerName
    let signingKey: ServerSigningKey
    let publisher: StreamPublisher
    let logger: Logger
    private let batcher = SendBatcher<SendRequest, SentEvent>(maximumBatchSize: Self.maximumBatchSize)

    /// The most prev events an event names; the rest stay extremities for the next one.
    static let maximumPrevEvents = 10
    /// How many create events `createRoom` tries before giving up on a free room ID.
    static let maximumRoomIDAttempts = 100
    /// The most concurrent sends persisted in one transaction.
    static let maximumBatchSize = 64

    private static let persisted = Counter(label: "trellis_events_persisted_total")
    private static let persistDuration = Metrics.Timer(label: "trellis_event_persist_duration_seconds")
    private static let batchSize = Recorder(label: "trellis_event_batch_size")

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

        // From v12 the room ID is the create event's hash, so two rooms created by one user in the
        // same millisecond with the same content would share it: the later one moves its
        // timestamp on by a millisecond until its ID is free.
        var timestamp = unixMilliseconds()
        for _ in 0..<Self.maximumRoomIDAttempts {
            let explicitRoomID = rules.roomIDFromCreateEvent
                ? nil : try RoomID(parsing: "!\(SecureToken.alphanumeric(18)):\(serverName)")
            let pdu = try build(builder, draft, roomID: explicitRoomID, prevEvents: [], authEvents: [], depth: 1,
                                originServerTimestamp: timestamp)
            let roomID = try explicitRoomID ?? EventHashing.roomID(ofCreateEvent: pdu.json, rules: rules)
            do {
                try AuthorizationRules.checkAuthEvents(pdu, provider: [EventID: PDU](), rules: rules)
            } catch {
                throw MatrixError(.forbidden, error.message)
            }
            let created = try await timed {
                try await rooms.withRoomLock(roomID.description) { transaction -> PersistedEvent? in
                    guard let record = try await transaction.createRoom(
                        roomID.description, version: rules.id.rawValue, creator: creator.description, isPublic: isPublic
                    ) else { return nil }
                    let create = LocalAppend(event: try newEvent(pdu, roomID: roomID), stateChange: stateChange(of: pdu))
                    let append = RoomAppend(room: record, events: [create], extremities: [create.event.eventID])
                    return try await transaction.append([append])[0]
                }
            }
            if let created {
                await announce(created)
                return (roomID, created)
            }
            timestamp += 1
        }
        throw MatrixError(.unknown, "Could not find a free room ID")
    }

    /// Creates `draft` in an existing room and returns it as persisted.
    ///
    /// Throws `M_NOT_FOUND` for an unknown room, `M_FORBIDDEN` when the auth rules refuse the
    /// event, `M_TOO_LARGE` for an event over 64 KiB. With a `transaction` seen before, returns
    /// the event of the first attempt and creates nothing.
    ///
    /// Sends that overlap in this process are persisted together (``SendBatcher``), each still
    /// checked on its own against the state its room's earlier events in the batch left.
    public func send(
        _ draft: EventDraft, in roomID: RoomID, transaction: ClientTransactionKey? = nil
    ) async throws -> PersistedEvent {
        let request = SendRequest(roomID: roomID, draft: draft, transaction: transaction)
        let sent = try await batcher.submit(request) { batch in await persist(batch) }
        if sent.isNew { await announce(sent.event) }
        return sent.event
    }

    /// Persists a batch of sends in one transaction holding their rooms' locks; one result per
    /// request, in order. An error of the transaction itself fails them all.
    private func persist(_ requests: [SendRequest]) async -> [Result<SentEvent, any Error>] {
        Self.batchSize.record(requests.count)
        var roomIDs: [RoomID] = []
        var indicesByRoom: [RoomID: [Int]] = [:]
        for (index, request) in requests.enumerated() {
            if indicesByRoom[request.roomID] == nil { roomIDs.append(request.roomID) }
            indicesByRoom[request.roomID, default: []].append(index)
        }
        do {
            return try await timed {
                try await rooms.withRoomLocks(roomIDs.map(\.description)) { transaction in
                    var plans: [(indices: [Int], plan: RoomBatchPlan)] = []
                    for roomID in roomIDs {
                        let indices = indicesByRoom[roomID] ?? []
                        plans.append((indices, try await plan(indices.map { requests[$0] }, in: roomID, transaction)))
                    }
                    let persisted = try await transaction.append(plans.compactMap(\.plan.append))
                    var results = [Result<SentEvent, any Error>](
                        repeating: .failure(SendBatcherError.missingResult), count: requests.count
                    )
                    var offset = 0
                    for (indices, plan) in plans {
                        let count = plan.append?.events.count ?? 0
                        let roomResults = try await plan.results(persisted: Array(persisted[offset..<offset + count]),
                                                                 in: transaction)
                        for (index, result) in zip(indices, roomResults) { results[index] = result }
                        offset += count
                    }
                    return results
                }
            }
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }

    /// Builds and checks one room's events of a batch, each on top of the ones before it.
    private func plan(
        _ requests: [SendRequest], in roomID: RoomID, _ transaction: RoomWriteTransaction
    ) async throws -> RoomBatchPlan {
        guard let tip = try await transaction.tip(of: roomID.description,
                                                  transactions: requests.compactMap(\.transaction),
                                                  state: Self.stateSlots(for: requests.map(\.draft)))
        else {
            return RoomBatchPlan(failing: requests, with: MatrixError(.notFound, "Unknown room \(roomID)"))
        }
        guard let rules = RoomVersionRules.rules(for: RoomVersionID(tip.room.roomVersion)) else {
            return RoomBatchPlan(failing: requests, with: MatrixError(
                .unsupportedRoomVersion, "Room version \(tip.room.roomVersion) is not supported"
            ))
        }
        var head = try RoomHead(tip)
        let notifications = NotificationRecipients(members: try await transaction.joinedMembers(of: roomID.description))
        var earlierEventIDs = tip.earlierEvents
        var plan = RoomBatchPlan(append: RoomAppend(room: tip.room, events: [], extremities: tip.extremities))
        for request in requests {
            if let key = request.transaction, let earlierID = earlierEventIDs[key] {
                plan.dispositions.append(.success(.earlier(earlierID)))
                continue
            }
            do {
                var (local, pdu) = try await prepare(request, in: transaction, head: head, roomID: roomID, rules: rules)
                local.notified = notifications.recipients(of: pdu, state: head.state, rules: rules)
                head.advance(past: pdu)
                if let key = request.transaction { earlierEventIDs[key] = pdu.eventID.description }
                plan.dispositions.append(.success(.new(plan.append?.events.count ?? 0)))
                plan.append?.events.append(local)
            } catch {
                plan.dispositions.append(.failure(error))
            }
        }
        plan.append?.extremities = head.extremities
        return plan
    }

    /// Builds the signed PDU of a request on top of the room's head and checks its auth; for a
    /// redaction, also finds the event it redacts in its pruned form.
    private func prepare(
        _ request: SendRequest, in transaction: RoomWriteTransaction, head: RoomHead, roomID: RoomID,
        rules: RoomVersionRules
    ) async throws -> (LocalAppend, PDU) {
        let draft = request.draft
        let slots = AuthorizationRules.authTypes(
            forEventOfType: draft.type, stateKey: draft.stateKey, sender: draft.sender, content: draft.content, rules: rules
        )
        let builder = EventBuilder(rules: rules, serverName: serverName.description, signingKey: signingKey)
        let pdu = try build(
            builder, draft, roomID: roomID,
            prevEvents: try await prevEvents(head, in: transaction, rules: rules),
            authEvents: try slots.compactMap { head.state[$0] }
                .sorted { $0.eventID.description < $1.eventID.description }
                .map { try EventReference(to: $0, rules: rules) },
            depth: head.depth + 1
        )
        do {
            try AuthorizationRules.check(pdu, authState: head.state, rules: rules)
        } catch {
            throw MatrixError(.forbidden, error.message)
        }
        let replaced = pdu.stateSlot.flatMap { head.state[$0] }
        var local = LocalAppend(
            event: try newEvent(pdu, roomID: roomID), stateChange: stateChange(of: pdu),
            replacedState: replaced?.eventID.description,
            keepsMembership: pdu.type == EventType.member && replaced?.membership == pdu.membership,
            transaction: request.transaction
        )
        if let target = draft.redacts {
            local.redaction = try await redaction(of: target, by: pdu, in: transaction, roomID: roomID,
                                                  authState: head.state, rules: rules)
        }
        return (local, pdu)
    }

    /// The current-state slots read with the room's tip, before its version is known: the auth
    /// types under the rules with the most of them (v12, where restricted joins name their
    /// authoriser) plus the create event, which the rules read even when `auth_events` omits it
    /// (v12). Older versions ignore the extra slots. A state draft's own slot is read too: the
    /// event there is the one it replaces (`unsigned.replaces_state`).
    static func stateSlots(for drafts: [EventDraft]) -> [StateSlotKey] {
        var slots: Set<StateKey> = [StateKey(type: EventType.create, stateKey: "")]
        for draft in drafts {
            if let stateKey = draft.stateKey { slots.insert(StateKey(type: draft.type, stateKey: stateKey)) }
            slots.formUnion(AuthorizationRules.authTypes(
                forEventOfType: draft.type, stateKey: draft.stateKey, sender: draft.sender, content: draft.content,
                rules: .v12
            ))
        }
        return slots.map(StateSlotKey.init)
    }

    /// References to the head's prev events, sorted by ID; room versions 1 and 2 also need
    /// their hashes, from the batch's events or the database.
    private func prevEvents(_ head: RoomHead, in transaction: RoomWriteTransaction, rules: RoomVersionRules)
        async throws -> [EventReference] {
        let eventIDs = Array(head.extremities.prefix(Self.maximumPrevEvents))
        guard rules.eventIDFormat == .explicit else {
            return try eventIDs.sorted().map { EventReference(eventID: try EventID(parsing: $0)) }
        }
        let stored = try await transaction.events(eventIDs.filter { head.built[$0] == nil }).values.map { try $0.pdu() }
        return try (stored + eventIDs.compactMap { head.built[$0] })
            .sorted { $0.eventID.description < $1.eventID.description }
            .map { try EventReference(to: $0, rules: rules) }
    }
    /// The event a local redaction redacts, pruned: it must be in this room (`404`), and the
    /// redaction must come from its sender or someone with the `redact` power level (`403`).
    private func redaction(
        of target: EventID, by redaction: PDU, in transaction: RoomWriteTransaction, roomID: RoomID,
        authState: [StateKey: PDU], rules: RoomVersionRules
    ) async throws -> (eventID: String, prunedJSON: String) {
        guard let stored = try await transaction.events([target.description])[target.description],
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
        authEvents: [EventReference], depth: Int64, originServerTimestamp: Int64 = unixMilliseconds()
    ) throws -> PDU {
        let pdu: PDU
        do {
            pdu = try builder.build(draft, roomID: roomID, prevEvents: prevEvents, authEvents: authEvents, depth: depth,
                                    originServerTimestamp: originServerTimestamp)
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
        defer { Self.persistDuration.record(duration: ContinuousClock.now - start) }
        return try await body()
    }
}

/// One send waiting for its batch: the event to create, where, and the client transaction it
/// came with.
struct SendRequest: Sendable {
    let roomID: RoomID
    let draft: EventDraft
    let transaction: ClientTransactionKey?
}

/// The event a send resolved to: created now, or by an earlier attempt of its transaction.
struct SentEvent: Sendable {
    let event: PersistedEvent
    let isNew: Bool
}

/// What a batch does with one room's requests: the events to append, and what became of each
/// request before they are appended.
private struct RoomBatchPlan {
    /// What a batch did with one request.
    enum Disposition {
        /// Built and checked: the request's event is `append.events[index]`.
        case new(Int)
        /// An earlier attempt of the request's transaction created this event.
        case earlier(String)
    }

    /// `nil` when the room cannot take events.
    var append: RoomAppend?
    var dispositions: [Result<Disposition, any Error>] = []

    init(append: RoomAppend) {
        self.append = append
    }

    init(failing requests: [SendRequest], with error: any Error) {
        dispositions = requests.map { _ in .failure(error) }
    }

    /// One result per request, given the appended events (`append.events`' order); reads the
    /// events of earlier transaction attempts that were not in this batch.
    func results(persisted: [PersistedEvent], in transaction: RoomWriteTransaction) async throws
        -> [Result<SentEvent, any Error>] {
        let byID = Dictionary(persisted.map { ($0.eventID, $0) }, uniquingKeysWith: { first, _ in first })
        let earlierIDs = dispositions.compactMap { disposition in
            if case .success(.earlier(let eventID)) = disposition, byID[eventID] == nil { eventID } else { nil }
        }
        let earlier = earlierIDs.isEmpty ? [:] : try await transaction.events(earlierIDs)
        return dispositions.map { disposition in
            disposition.flatMap { disposition -> Result<SentEvent, any Error> in
                switch disposition {
                case .new(let index):
                    return .success(SentEvent(event: persisted[index], isNew: true))
                case .earlier(let eventID):
                    guard let event = byID[eventID] ?? earlier[eventID] else {
                        return .failure(MatrixError(.unknown, "The event of this transaction is missing"))
                    }
                    return .success(SentEvent(event: event, isNew: false))
                }
            }
        }
    }
}

/// The room's tip as a batch builds on it: each event built becomes the deepest extremity, in
/// place of the ones it names, and a state event fills its slot of the state the next one sees.
private struct RoomHead {
    /// Forward extremities, deepest first.
    var extremities: [String]
    var depth: Int64
    /// The current state's events in the slots read with the tip, parsed.
    var state: [StateKey: PDU]
    /// The events built earlier in the batch, by ID.
    var built: [String: PDU] = [:]

    init(_ tip: RoomTip) throws {
        extremities = tip.extremities
        depth = tip.depth
        let events = try tip.state.values.map { try $0.pdu() }
        state = Dictionary(events.compactMap { event in event.stateSlot.map { ($0, event) } },
                           uniquingKeysWith: { first, _ in first })
    }

    mutating func advance(past event: PDU) {
        let eventID = event.eventID.description
        let named = Set(event.prevEventIDs.map(\.description))
        extremities = [eventID] + extremities.filter { !named.contains($0) }
        depth = max(depth, event.depth)
        if let slot = event.stateSlot { state[slot] = event }
        built[eventID] = event
    }
}
