import MatrixCore
import MatrixEvents

/// The events of one resolution, loaded from the provider once and numbered densely.
///
/// Each event ID seen is given a node number; the event, its auth edges and derived data are stored in
/// arrays by node, so the graph walks of state resolution (auth chains over tens of thousands of events,
/// the conflicted subgraph, mainlines) hash each event ID once and then work on integers.
struct EventGraph<Provider: EventProvider> {
    typealias Node = Int32

    /// What resolution reads of an event over and over, copied out of its PDU once.
    struct Summary {
        /// The provider has the event.
        var isKnown = false
        /// An `m.room.power_levels` event with an empty state key.
        var isPowerLevels = false
        var timestamp: Int64 = 0
    }

    let provider: Provider
    let rules: RoomVersionRules

    /// Nodes by the event ID's text, which determines the whole ID (and hashes in half the work).
    private var nodeByID: [String: Node] = [:]
    private(set) var ids: [EventID] = []
    private var events: [PDU?] = []
    private var summaries: [Summary] = []
    /// Auth edges by node; `nil` until first asked for.
    private var authEdges: [[Node]?] = []
    /// Room version 12: the last room ID seen and its create event's ID (nearly every event shares it).
    private var implicitCreate: (roomID: String, createID: EventID?)?

    init(provider: Provider, rules: RoomVersionRules) {
        self.provider = provider
        self.rules = rules
    }

    var count: Int { ids.count }

    /// Makes room for `count` events in all.
    mutating func reserveCapacity(_ count: Int) {
        nodeByID.reserveCapacity(count)
        ids.reserveCapacity(count)
        events.reserveCapacity(count)
        summaries.reserveCapacity(count)
        authEdges.reserveCapacity(count)
    }

    /// The node of `id`, loading the event from the provider the first time.
    mutating func node(_ id: EventID) -> Node {
        if let node = nodeByID[id.description] { return node }
        let node = Node(ids.count)
        nodeByID[id.description] = node
        ids.append(id)
        let event = provider.event(id)
        var summary = Summary()
        if let event {
            summary.isKnown = true
            summary.isPowerLevels = event.type == Slot.powerLevels.type && event.stateKey == ""
            summary.timestamp = event.originServerTimestamp
        }
        events.append(event)
        summaries.append(summary)
        authEdges.append(nil)
        return node
    }

    func event(_ node: Node) -> PDU? { events[Int(node)] }

    func id(_ node: Node) -> EventID { ids[Int(node)] }

    func summary(_ node: Node) -> Summary { summaries[Int(node)] }

    /// The nodes of the auth events of `node` (none if the event is unknown).
    mutating func authNodes(_ node: Node) -> [Node] {
        if let edges = authEdges[Int(node)] { return edges }
        var edges: [Node] = []
        if let event = events[Int(node)] {
            let listed = event.authEventIDs
            edges.reserveCapacity(listed.count + 1)
            for id in listed { edges.append(self.node(id)) }
            if let createID = implicitCreateID(of: event), !listed.contains(createID) {
                edges.append(self.node(createID))
            }
        }
        authEdges[Int(node)] = edges
        return edges
    }

    /// ``authEventIDs(of:rules:)``'s implicit create event, remembered for the last room ID.
    private mutating func implicitCreateID(of event: PDU) -> EventID? {
        guard rules.roomIDFromCreateEvent, event.type != "m.room.create", let roomID = event.roomID
        else { return nil }
        if let cached = implicitCreate, cached.roomID == roomID { return cached.createID }
        let createID = Self.implicitCreateID(roomID: roomID)
        implicitCreate = (roomID, createID)
        return createID
    }

    /// The event's auth events, including the create event that room version 12 leaves implicit.
    ///
    /// From room version 12 the room ID is `!` + the create event's reference hash and the create
    /// event is no longer listed in `auth_events`, but it still authorises every other event.
    static func authEventIDs(of event: PDU, rules: RoomVersionRules) -> [EventID] {
        guard rules.roomIDFromCreateEvent, event.type != "m.room.create", let roomID = event.roomID,
              let createID = implicitCreateID(roomID: roomID), !event.authEventIDs.contains(createID)
        else { return event.authEventIDs }
        return event.authEventIDs + [createID]
    }

    /// The create event ID a room version 12 room ID names, if it has that form.
    private static func implicitCreateID(roomID: String) -> EventID? {
        guard roomID.hasPrefix("!") else { return nil }
        return EventID("$" + roomID.dropFirst())
    }
}

/// Total order on event IDs by their bytes (equivalently, by Unicode code points), as the spec's
/// "lexicographically" and the reference implementation's string comparison mean.
@inline(__always)
func precedes(_ lhs: EventID, _ rhs: EventID) -> Bool {
    lhs.description.utf8.lexicographicallyPrecedes(rhs.description.utf8)
}

/// The slots state resolution treats specially.
enum Slot {
    static let create = StateKey(type: "m.room.create", stateKey: "")
    static let powerLevels = StateKey(type: "m.room.power_levels", stateKey: "")
    static let joinRules = StateKey(type: "m.room.join_rules", stateKey: "")
}

/// A binary min-heap ordered by `areInIncreasingOrder`.
struct Heap<Element> {
    private var items: [Element] = []
    private let areInIncreasingOrder: (Element, Element) -> Bool

    init(by areInIncreasingOrder: @escaping (Element, Element) -> Bool) {
        self.areInIncreasingOrder = areInIncreasingOrder
    }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard areInIncreasingOrder(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let minimum = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, areInIncreasingOrder(items[left], items[smallest]) { smallest = left }
            if right < items.count, areInIncreasingOrder(items[right], items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}
