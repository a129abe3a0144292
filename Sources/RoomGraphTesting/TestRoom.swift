import MatrixCore
import MatrixEvents
import RoomGraph
import Synchronization

/// A readable builder for a room's DAG, for RoomGraph tests and benchmarks.
///
/// ```swift
/// var room = TestRoom(version: "10", creator: "@alice:example.org")   // create, join, power levels, join rules
/// room.join("@bob:example.org")
/// var fork = room.fork()                                                // same parent, two branches
/// room.setPowerLevels(users: ["@alice:example.org": 100, "@bob:example.org": 50], by: "@alice:example.org")
/// fork.ban("@bob:example.org", by: "@alice:example.org")
/// let events = room.allEvents                                           // every event of every branch
/// let (left, right) = (room.state, fork.state)                          // StateMap of each branch
/// ```
///
/// Events get short readable IDs (`$CREATE`, `$PL_1`, `$JOIN_bob_1`; `$…:server` in v1/v2 rooms),
/// `prev_events` = the branch's forward extremities, `depth` = 1 + the deepest prev event, an
/// `origin_server_ts` that increases across all branches in creation order, and `auth_events`
/// chosen by ``AuthorizationRules/authTypes(for:rules:)`` from the branch's current state.
/// Building does not run the auth rules: tests build allowed and forbidden events alike and
/// call ``AuthorizationRules`` themselves. ``draft(type:stateKey:content:sender:)`` builds an
/// event without adding it.
///
/// A `TestRoom` is a value: a copy is a fork. All copies share one ledger (event IDs, clock,
/// ``allEvents``), so IDs never collide between branches.
public struct TestRoom: Sendable {
    public let rules: RoomVersionRules
    /// The room ID: `!room:server` (`!<prefix>:server`), or for v12+ `!` + the create event's ID.
    public let roomID: String
    /// The create event's sender.
    public let creator: String
    /// The create event.
    public let createEvent: PDU
    /// This branch's current state.
    public private(set) var stateEvents: [StateKey: PDU] = [:]
    /// This branch's forward extremities (one, unless branches were merged).
    public private(set) var extremities: [EventID] = []
    /// This branch's events in the order they were added (including those shared with forks).
    public private(set) var timeline: [PDU] = []
    private let ledger: Ledger
    private let prefix: String

    /// Creates a room: `m.room.create`, the creator's join, `m.room.power_levels` (creator at
    /// 100, except from v12 where creators have infinite power and are not listed) and
    /// `m.room.join_rules` (`joinRule`).
    ///
    /// - Parameters:
    ///   - idPrefix: prefixes every event ID (`$R2_CREATE`) and names the room, for tests that
    ///     need several rooms.
    ///   - additionalCreators: v12 `additional_creators`.
    ///   - powerLevels: replaces the default power levels content.
    ///   - createContent: extra members of the create event's content (e.g. `m.federate`).
    public init(
        version: RoomVersionID = RoomVersionID.defaultVersion, creator: String = "@alice:example.org",
        joinRule: String = "public", idPrefix: String = "", additionalCreators: [String] = [],
        powerLevels: JSONObject? = nil, createContent: JSONObject = [:]
    ) {
        guard let rules = RoomVersionRules.rules(for: version) else { preconditionFailure("unknown room version \(version)") }
        self.init(rules: rules, creator: creator, joinRule: joinRule, idPrefix: idPrefix,
                  additionalCreators: additionalCreators, powerLevels: powerLevels, createContent: createContent)
    }

    /// ``init(version:creator:joinRule:idPrefix:additionalCreators:powerLevels:createContent:)`` with rules.
    public init(
        rules: RoomVersionRules, creator: String = "@alice:example.org", joinRule: String = "public",
        idPrefix: String = "", additionalCreators: [String] = [], powerLevels: JSONObject? = nil,
        createContent: JSONObject = [:]
    ) {
        self.rules = rules
        self.creator = creator
        self.ledger = Ledger()
        self.prefix = idPrefix.isEmpty ? "" : Self.sanitized(idPrefix) + "_"
        let server = String(creator.split(separator: ":", maxSplits: 1).last ?? "example.org")

        var content = createContent
        content["room_version"] = .string(rules.id.rawValue)
        if !rules.implicitRoomCreator, content["creator"] == nil { content["creator"] = .string(creator) }
        if !additionalCreators.isEmpty { content["additional_creators"] = .array(additionalCreators.map { .string($0) }) }
        let createID = Self.makeEventID(prefix + "CREATE", server: server, rules: rules)
        self.roomID = rules.roomIDFromCreateEvent
            ? "!" + createID.opaqueID
            : "!" + (idPrefix.isEmpty ? "room" : Self.sanitized(idPrefix)) + ":" + server
        var json: JSONObject = [
            "type": "m.room.create", "state_key": "", "sender": .string(creator), "content": .object(content),
            "prev_events": [], "auth_events": [], "depth": 1,
            "origin_server_ts": .integer(ledger.tick()),
        ]
        if !rules.roomIDFromCreateEvent { json["room_id"] = .string(roomID) }
        if rules.eventIDFormat == .explicit { json["event_id"] = .string(createID.description) }
        let create = Self.parse(createID, json)
        self.createEvent = create
        apply(create)

        join(creator)
        let defaultUsers: JSONObject = rules.privilegedRoomCreators ? [:] : [creator: 100]
        let levels: JSONObject = powerLevels ?? [
            "users": .object(defaultUsers),
            "users_default": 0, "events": [:], "events_default": 0, "state_default": 50,
            "ban": 50, "kick": 50, "redact": 50, "invite": 0,
        ]
        send(type: "m.room.power_levels", stateKey: "", content: levels, sender: creator)
        send(type: "m.room.join_rules", stateKey: "", content: ["join_rule": .string(joinRule)], sender: creator)
    }

    // MARK: - Reading

    /// This branch's current state as event IDs.
    public var state: StateMap { stateEvents.mapValues(\.eventID) }

    /// Every event built by this room and all its forks.
    public var allEvents: [EventID: PDU] { ledger.events }

    /// The newest event of this branch.
    public var last: PDU { timeline[timeline.count - 1] }

    /// The event filling `type`/`stateKey` in this branch's current state.
    public subscript(type: String, stateKey: String = "") -> PDU? {
        stateEvents[StateKey(type: type, stateKey: stateKey)]
    }

    /// The event with this ID, from any branch.
    public func event(_ id: String) -> PDU? { EventID(id).flatMap { ledger.event($0) } }

    /// A copy that continues from the same extremities: add events to each to build two branches.
    public func fork() -> TestRoom { self }

    /// Makes this branch's extremities the union of both branches' and sets its state (by
    /// default this branch's own; pass a resolved state to continue after a merge).
    public mutating func merge(_ other: TestRoom, state resolved: [StateKey: PDU]? = nil) {
        for id in other.extremities where !extremities.contains(id) { extremities.append(id) }
        let known = Set(timeline.map(\.eventID))
        timeline.append(contentsOf: other.timeline.filter { !known.contains($0.eventID) })
        if let resolved { stateEvents = resolved }
    }

    // MARK: - Building events

    /// Builds an event on this branch without adding it: prev events, depth, timestamp and
    /// auth events as ``send(type:stateKey:content:sender:id:)`` would give it.
    ///
    /// - Parameters:
    ///   - authEvents: overrides the computed `auth_events`.
    ///   - extra: extra top-level members (e.g. `redacts`).
    public func draft(
        type: String, stateKey: String? = nil, content: JSONObject = [:], sender: String, id: String? = nil,
        authEvents: [EventID]? = nil, prevEvents: [EventID]? = nil, extra: JSONObject = [:]
    ) -> PDU {
        guard let senderID = UserID(sender) else { preconditionFailure("invalid sender \(sender)") }
        let label = Self.sanitized(id ?? Self.label(type: type, stateKey: stateKey, content: content, sender: sender))
        let eventID = Self.makeEventID(prefix + ledger.nextName(label), server: senderID.serverName.description,
                                       rules: rules)
        let prev = prevEvents ?? extremities
        let auth = authEvents ?? AuthorizationRules.authTypes(
            forEventOfType: type, stateKey: stateKey, sender: senderID, content: content, rules: rules
        ).compactMap { stateEvents[$0]?.eventID }
        let depth = prev.compactMap { ledger.event($0)?.depth }.max().map { $0 + 1 } ?? 1
        var json = extra
        json["type"] = .string(type)
        json["room_id"] = .string(roomID)
        json["sender"] = .string(sender)
        json["content"] = .object(content)
        if let stateKey { json["state_key"] = .string(stateKey) }
        json["prev_events"] = references(prev)
        json["auth_events"] = references(auth)
        json["depth"] = .integer(depth)
        json["origin_server_ts"] = .integer(ledger.tick())
        if rules.eventIDFormat == .explicit { json["event_id"] = .string(eventID.description) }
        return Self.parse(eventID, json)
    }

    /// Adds an event (built by ``draft(type:stateKey:content:sender:id:authEvents:prevEvents:extra:)``
    /// or elsewhere) to this branch: it becomes the only extremity and, if state, fills its slot.
    public mutating func append(_ event: PDU) {
        apply(event)
    }

    /// Builds and adds an event; returns it.
    @discardableResult
    public mutating func send(
        type: String, stateKey: String? = nil, content: JSONObject = [:], sender: String, id: String? = nil,
        extra: JSONObject = [:]
    ) -> PDU {
        let event = draft(type: type, stateKey: stateKey, content: content, sender: sender, id: id, extra: extra)
        apply(event)
        return event
    }

    /// An `m.room.message` with a text body.
    @discardableResult
    public mutating func message(_ body: String = "hello", from sender: String) -> PDU {
        send(type: "m.room.message", content: ["msgtype": "m.text", "body": .string(body)], sender: sender)
    }

    /// `sender` sets their own membership to `join` (extra content, e.g. `join_authorised_via_users_server`).
    @discardableResult
    public mutating func join(_ user: String, content: JSONObject = [:]) -> PDU {
        member(user, "join", by: user, content: content)
    }

    @discardableResult
    public mutating func invite(_ user: String, by sender: String) -> PDU { member(user, "invite", by: sender) }

    /// `user` leaves (or, with `by`, is kicked).
    @discardableResult
    public mutating func leave(_ user: String, by sender: String? = nil) -> PDU {
        member(user, "leave", by: sender ?? user)
    }

    @discardableResult
    public mutating func kick(_ user: String, by sender: String) -> PDU { member(user, "leave", by: sender) }

    @discardableResult
    public mutating func ban(_ user: String, by sender: String) -> PDU { member(user, "ban", by: sender) }

    @discardableResult
    public mutating func knock(_ user: String) -> PDU { member(user, "knock", by: user) }

    /// An `m.room.member` event with `membership` for `user`, sent by `sender`.
    @discardableResult
    public mutating func member(_ user: String, _ membership: String, by sender: String, content: JSONObject = [:]) -> PDU {
        var content = content
        content["membership"] = .string(membership)
        return send(type: "m.room.member", stateKey: user, content: content, sender: sender)
    }

    /// Replaces `users` in the current power levels (other fields kept; `changes` edits more).
    @discardableResult
    public mutating func setPowerLevels(
        users: [String: Int64], by sender: String, _ changes: (inout JSONObject) -> Void = { _ in }
    ) -> PDU {
        var content = self["m.room.power_levels"]?.content ?? [:]
        var map = JSONObject()
        for (user, level) in users { map[user] = .integer(level) }
        content["users"] = .object(map)
        changes(&content)
        return send(type: "m.room.power_levels", stateKey: "", content: content, sender: sender)
    }

    /// Sets the whole power levels content.
    @discardableResult
    public mutating func setPowerLevels(_ content: JSONObject, by sender: String) -> PDU {
        send(type: "m.room.power_levels", stateKey: "", content: content, sender: sender)
    }

    /// Sets the join rule (`allow` for restricted rules: room IDs).
    @discardableResult
    public mutating func setJoinRule(_ rule: String, allow rooms: [String] = [], by sender: String) -> PDU {
        var content: JSONObject = ["join_rule": .string(rule)]
        if !rooms.isEmpty {
            content["allow"] = .array(rooms.map { .object(["type": "m.room_membership", "room_id": .string($0)]) })
        }
        return send(type: "m.room.join_rules", stateKey: "", content: content, sender: sender)
    }

    /// Adds many joined members quickly (`@user<n>:server`, n from 1), e.g. for benchmarks.
    public mutating func addMembers(_ count: Int, server: String = "example.org", prefix: String = "user") {
        for index in 1...max(count, 1) where count > 0 { join("@\(prefix)\(index):\(server)") }
    }

    // MARK: - Internals

    private mutating func apply(_ event: PDU) {
        ledger.record(event)
        extremities = [event.eventID]
        timeline.append(event)
        if let slot = event.stateSlot { stateEvents[slot] = event }
    }

    private func references(_ ids: [EventID]) -> JSONValue {
        if rules.eventIDFormat == .explicit {
            return .array(ids.map { .array([.string($0.description), .object(["sha256": "AAAA"])]) })
        }
        return .array(ids.map { .string($0.description) })
    }

    private static func parse(_ id: EventID, _ json: JSONObject) -> PDU {
        do {
            return try PDU(eventID: id, json: json)
        } catch {
            preconditionFailure("TestRoom built an unparsable event \(id): \(error)")
        }
    }

    private static func makeEventID(_ name: String, server: String, rules: RoomVersionRules) -> EventID {
        let text = rules.eventIDFormat == .explicit ? "$\(name):\(server)" : "$\(name)"
        guard let id = EventID(text) else { preconditionFailure("invalid test event ID \(text)") }
        return id
    }

    /// A readable name: `CREATE`, `JOIN_bob`, `KICK_bob`, `PL`, `JR`, `MSG`, `TOPIC`….
    private static func label(type: String, stateKey: String?, content: JSONObject, sender: String) -> String {
        switch type {
        case "m.room.member":
            let membership = content["membership"]?.stringValue ?? "member"
            let target = stateKey ?? ""
            var verb = membership.uppercased()
            if membership == "leave", target != sender { verb = "KICK" }
            return verb + "_" + localpart(target)
        case "m.room.power_levels": return "PL"
        case "m.room.join_rules": return "JR"
        case "m.room.message": return "MSG_" + localpart(sender)
        case "m.room.redaction": return "REDACT"
        default:
            let last = type.split(separator: ".").last.map(String.init) ?? type
            let key = stateKey.map { $0.isEmpty ? "" : "_" + localpart($0) } ?? ""
            return last.uppercased() + key
        }
    }

    private static func localpart(_ user: String) -> String {
        let body = user.hasPrefix("@") ? String(user.dropFirst().prefix { $0 != ":" }) : user
        return sanitized(body)
    }

    /// Keeps `A-Z a-z 0-9 _ -`; everything else becomes `-` (event IDs must be Base64-alphabet).
    static func sanitized(_ text: String) -> String {
        let mapped = text.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "_", "-": Character(scalar)
            default: "-"
            }
        }
        return mapped.isEmpty ? "x" : String(String(mapped).prefix(60))
    }
}

/// What all forks of a `TestRoom` share: name counters, the clock and every event built.
private final class Ledger: Sendable {
    private struct Storage {
        var counters: [String: Int] = [:]
        var clock: Int64 = 1_700_000_000_000
        var events: [EventID: PDU] = [:]
    }

    private let storage = Mutex(Storage())

    func nextName(_ label: String) -> String {
        storage.withLock { storage in
            let next = (storage.counters[label] ?? 0) + 1
            storage.counters[label] = next
            return "\(label)_\(next)"
        }
    }

    func tick() -> Int64 {
        storage.withLock { storage in
            storage.clock += 1
            return storage.clock
        }
    }

    func record(_ event: PDU) {
        storage.withLock { $0.events[event.eventID] = event }
    }

    var events: [EventID: PDU] { storage.withLock { $0.events } }

    func event(_ id: EventID) -> PDU? { storage.withLock { $0.events[id] } }
}
