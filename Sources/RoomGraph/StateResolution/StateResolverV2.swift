import MatrixCore
import MatrixEvents

/// State resolution version 2 (room versions 2 and later).
///
/// https://spec.matrix.org/v1.16/rooms/v2/#state-resolution. The steps, in the spec's words:
/// 1. split the states into the unconflicted state map and the conflicted state set;
/// 2. the full conflicted set is the conflicted state set, the auth difference and (room version 12)
///    the conflicted state subgraph;
/// 3. the power events of the full conflicted set and their auth ancestry within it, sorted by reverse
///    topological power ordering, go through the iterative auth checks from the unconflicted state
///    (room version 12: from an empty state);
/// 4. the other events, sorted by mainline ordering on the resolved power levels, go through the
///    iterative auth checks from that partially resolved state;
/// 5. the unconflicted state map is applied on top.
struct StateResolverV2<Provider: EventProvider, Authorizer: StateResolutionAuthorizer> {
    typealias Node = EventGraph<Provider>.Node

    private var graph: EventGraph<Provider>
    private let rules: RoomVersionRules
    private let tweaks: StateResolutionV2Rules
    private let authorizer: Authorizer
    private let rejected: Set<EventID>

    /// - Parameter tweaks: overrides the room version's v2 tweaks (for tests that isolate one of them).
    init(provider: Provider, rules: RoomVersionRules, authorizer: Authorizer, rejected: Set<EventID>,
         tweaks: StateResolutionV2Rules? = nil) {
        self.graph = EventGraph(provider: provider, rules: rules)
        self.rules = rules
        self.tweaks = tweaks ?? rules.stateResolutionV2
        self.authorizer = authorizer
        self.rejected = rejected
    }

    mutating func resolve(_ states: [StateMap]) throws(StateResolutionError) -> StateResolution.Resolution {
        let (unconflicted, conflicted) = Self.split(states)
        var result = StateResolution.Resolution(
            state: unconflicted, unconflictedCount: unconflicted.count, conflictedCount: 0,
            authDifferenceCount: 0, conflictedSubgraphCount: 0, fullConflictedCount: 0, powerEventCount: 0)
        guard !conflicted.isEmpty else { return result }
        graph.reserveCapacity(states.reduce(0) { $0 + $1.count })

        // The full conflicted set: conflicted events, auth difference, conflicted subgraph; known events only.
        var conflictedNodes: [Node] = []
        for ids in conflicted.values { for id in ids { conflictedNodes.append(graph.node(id)) } }
        result.conflictedCount = conflictedNodes.count
        let authDifference = authDifference(of: states, unconflicted: unconflicted, conflicted: conflicted.keys)
        result.authDifferenceCount = authDifference.count
        var full = NodeSet()
        for node in conflictedNodes { full.insert(node) }
        for node in authDifference { full.insert(node) }
        if tweaks.considerConflictedStateSubgraph {
            let subgraph = conflictedSubgraph(from: conflictedNodes)
            result.conflictedSubgraphCount = subgraph.count
            for node in subgraph { full.insert(node) }
        }
        let fullNodes = full.members.filter { graph.summary($0).isKnown }
        full = NodeSet(fullNodes)
        result.fullConflictedCount = fullNodes.count

        // Power events and their auth ancestry in the full conflicted set, reverse topological power order.
        let sortedPowerEvents = try reverseTopologicalPowerSort(
            fullNodes.filter { Self.isPowerEvent(graph.event($0)!) }, within: full)
        result.powerEventCount = sortedPowerEvents.count
        var state = OverlayState(base: tweaks.beginIterativeAuthChecksWithEmptyState ? [:] : unconflicted)
        iterativeAuthChecks(sortedPowerEvents, state: &state)

        // Everything else, by mainline ordering on the resolved power levels.
        let sortedSet = NodeSet(sortedPowerEvents)
        let others = fullNodes.filter { !sortedSet.contains($0) }
        let sortedOthers = try mainlineSort(others, powerLevels: state[Slot.powerLevels])
        iterativeAuthChecks(sortedOthers, state: &state)

        // The unconflicted state map wins over anything resolved.
        for (key, id) in state.changes where unconflicted[key] == nil {
            result.state[key] = id
        }
        return result
    }

    // MARK: - Unconflicted and conflicted

    /// Splits `states` into the entries every state has with the same event (the unconflicted state map)
    /// and the rest, by slot (the conflicted state set). A slot missing from any state is conflicted.
    static func split(_ states: [StateMap]) -> (unconflicted: StateMap, conflicted: [StateKey: [EventID]]) {
        guard let first = states.first else { return ([:], [:]) }
        if states.count == 1 { return (first, [:]) }
        var unconflicted = StateMap(minimumCapacity: first.count)
        var conflicted: [StateKey: [EventID]] = [:]
        func conflictedIDs(_ key: StateKey) -> [EventID] {
            var ids: [EventID] = []
            for state in states {
                if let id = state[key], !ids.contains(id) { ids.append(id) }
            }
            return ids
        }
        // How many of the first state's slots each state has: when that is all of its slots, it has
        // none the first state lacks.
        var sharedSlotCounts = [Int](repeating: 0, count: states.count)
        for (key, id) in first {
            var allSame = true
            for index in states.indices.dropFirst() {
                guard let other = states[index][key] else { allSame = false; continue }
                sharedSlotCounts[index] += 1
                if other != id { allSame = false }
            }
            if allSame {
                unconflicted[key] = id
            } else {
                conflicted[key] = conflictedIDs(key)
            }
        }
        for (index, state) in states.enumerated().dropFirst() where sharedSlotCounts[index] < state.count {
            for key in state.keys where first[key] == nil && conflicted[key] == nil {
                conflicted[key] = conflictedIDs(key)
            }
        }
        return (unconflicted, conflicted)
    }

    // MARK: - Auth difference and conflicted subgraph

    /// The events in some but not all of the states' full auth chains (union minus intersection).
    ///
    /// A state's full auth chain is taken to include the state's own events, as the reference
    /// implementation does. The unconflicted events and their auth chains are in every full chain, so
    /// they are walked once and excluded; then each state is walked from its events in the `conflicted`
    /// slots, stopping at that common part. The cost is linear in the size of the chains.
    private mutating func authDifference(
        of states: [StateMap], unconflicted: StateMap, conflicted: some Collection<StateKey>
    ) -> [Node] {
        var seenCount: [Int32] = []
        var lastPass: [Int32] = []
        let common = Int32(-1)
        var roots: [Node] = []
        roots.reserveCapacity(unconflicted.count)
        for id in unconflicted.values { roots.append(graph.node(id)) }
        walk(pass: common, from: roots, skipping: common, seenCount: &seenCount, lastPass: &lastPass)
        for (pass, state) in states.enumerated() {
            roots.removeAll(keepingCapacity: true)
            for key in conflicted { if let id = state[key] { roots.append(graph.node(id)) } }
            walk(pass: Int32(pass + 1), from: roots, skipping: common, seenCount: &seenCount, lastPass: &lastPass)
        }
        let total = Int32(states.count)
        var difference: [Node] = []
        for index in seenCount.indices
        where lastPass[index] != common && seenCount[index] > 0 && seenCount[index] < total {
            difference.append(Node(index))
        }
        return difference
    }

    /// Marks the auth chains of `roots` (themselves included) as seen in `pass`, not entering nodes
    /// already seen in this pass or marked `skipping`.
    private mutating func walk(
        pass: Int32, from roots: [Node], skipping: Int32, seenCount: inout [Int32], lastPass: inout [Int32]
    ) {
        var stack = roots
        while let node = stack.popLast() {
            grow(&seenCount, &lastPass, to: graph.count)
            let seen = lastPass[Int(node)]
            if seen == pass || seen == skipping { continue }
            lastPass[Int(node)] = pass
            seenCount[Int(node)] += 1
            stack.append(contentsOf: graph.authNodes(node))
        }
    }

    private func grow(_ first: inout [Int32], _ second: inout [Int32], to count: Int) {
        if first.count < count {
            first.append(contentsOf: repeatElement(0, count: count - first.count))
            second.append(contentsOf: repeatElement(0, count: count - second.count))
        }
    }

    /// Room version 12: the events on an auth path between two conflicted state events, that is, auth
    /// ancestors of a conflicted event that are also auth descendants of one (the conflicted events
    /// included).
    private mutating func conflictedSubgraph(from conflicted: [Node]) -> [Node] {
        // Backwards: every auth ancestor of a conflicted event, recording the edges walked in reverse.
        var ancestors = NodeSet()
        var children = NodeTable<[Node]>(default: [])
        var stack = conflicted
        while let node = stack.popLast() {
            guard ancestors.insert(node) else { continue }
            for parent in graph.authNodes(node) {
                children.append(node, at: parent)
                stack.append(parent)
            }
        }
        // Forwards from the conflicted events, staying among those ancestors.
        var subgraph = NodeSet()
        stack = conflicted
        while let node = stack.popLast() {
            guard subgraph.insert(node) else { continue }
            stack.append(contentsOf: children[node])
        }
        return subgraph.members
    }

    // MARK: - Power events

    /// Power levels, join rules and create events, and kicks and bans (a `leave` or `ban` membership
    /// sent by someone other than its target).
    static func isPowerEvent(_ event: PDU) -> Bool {
        guard let stateKey = event.stateKey else { return false }
        switch event.type {
        case Slot.powerLevels.type, Slot.joinRules.type, Slot.create.type:
            return stateKey.isEmpty
        case "m.room.member":
            let membership = event.content["membership"]?.stringValue
            return (membership == "leave" || membership == "ban") && stateKey != event.sender.description
        default:
            return false
        }
    }

    /// Adds the auth ancestry of `powerEvents` within `full` and sorts the lot by reverse topological
    /// power ordering: Kahn's algorithm over auth edges, taking at each step the available event whose
    /// sender has the greatest power level, then the smallest `origin_server_ts`, then the smallest ID.
    ///
    /// The events taking part are numbered from 0 in the order they are found, and the sort works on
    /// those numbers.
    private mutating func reverseTopologicalPowerSort(
        _ powerEvents: [Node], within full: NodeSet
    ) throws(StateResolutionError) -> [Node] {
        // The events: the power events and their auth ancestors in the full conflicted set.
        var members = NodeSet()
        var stack = powerEvents
        while let node = stack.popLast() {
            guard members.insert(node) else { continue }
            for parent in graph.authNodes(node) where full.contains(parent) && !members.contains(parent) {
                stack.append(parent)
            }
        }
        let nodes = members.members
        var position = NodeTable<Int32>(default: -1)
        for (index, node) in nodes.enumerated() { position[node] = Int32(index) }

        // The graph: each event's distinct auth events among them, and the reverse edges.
        var remaining = [Int](repeating: 0, count: nodes.count)
        var dependents = [[Int32]](repeating: [], count: nodes.count)
        var keys: [PowerOrderKey] = []
        keys.reserveCapacity(nodes.count)
        for (index, node) in nodes.enumerated() {
            var parents: [Int32] = []
            for parent in graph.authNodes(node) where full.contains(parent) {
                let parentIndex = position[parent]
                if !parents.contains(parentIndex) { parents.append(parentIndex) }
            }
            remaining[index] = parents.count
            for parent in parents { dependents[Int(parent)].append(Int32(index)) }
            keys.append(powerOrderKey(of: node))
        }

        var heap = Heap<Int32> { [keys] lhs, rhs in
            let lhs = keys[Int(lhs)], rhs = keys[Int(rhs)]
            if lhs.power != rhs.power { return lhs.power > rhs.power }
            if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
            return precedes(lhs.id, rhs.id)
        }
        for index in nodes.indices where remaining[index] == 0 { heap.push(Int32(index)) }

        var sorted: [Node] = []
        sorted.reserveCapacity(nodes.count)
        while let next = heap.popMin() {
            sorted.append(nodes[Int(next)])
            for child in dependents[Int(next)] {
                remaining[Int(child)] -= 1
                if remaining[Int(child)] == 0 { heap.push(child) }
            }
        }
        guard sorted.count == nodes.count else {
            let cycle = nodes.indices.filter { remaining[$0] > 0 }.map { graph.id(nodes[$0]) }.sorted(by: precedes)
            throw .authEventCycle(cycle)
        }
        return sorted
    }

    /// The sender's power level as the event's own auth events give it, its timestamp and its ID.
    private mutating func powerOrderKey(of node: Node) -> PowerOrderKey {
        let event = graph.event(node)!
        let authEvents = graph.authNodes(node).compactMap { graph.event($0) }
        return PowerOrderKey(power: SenderPowerLevel.of(event, authEvents: authEvents, rules: rules),
                             timestamp: event.originServerTimestamp, id: event.eventID)
    }

    // MARK: - Mainline ordering

    /// Sorts `events` by the position of their closest mainline ancestor (the mainline being the chain
    /// of power levels events from `powerLevels` back through their auth events), then by
    /// `origin_server_ts`, then by ID.
    private mutating func mainlineSort(
        _ events: [Node], powerLevels: EventID?
    ) throws(StateResolutionError) -> [Node] {
        guard !events.isEmpty else { return [] }
        var mainline: [Node] = []
        if let powerLevels {
            var current: Node? = graph.node(powerLevels)
            guard graph.summary(current!).isKnown else { throw .missingEvent(powerLevels) }
            var seen = NodeSet()
            while let node = current, seen.insert(node) {
                mainline.append(node)
                current = powerLevelsAuthEvent(of: node)
            }
        }
        // The oldest power levels event has position 1; events with no mainline ancestor, 0.
        var depth = NodeTable<Int>(default: -1)
        for (offset, node) in mainline.reversed().enumerated() { depth[node] = offset + 1 }

        var keyed: [(depth: Int, timestamp: Int64, node: Node)] = []
        keyed.reserveCapacity(events.count)
        for node in events {
            keyed.append((mainlineDepth(of: node, memo: &depth), graph.summary(node).timestamp, node))
        }
        keyed.sort { [graph] lhs, rhs in
            if lhs.depth != rhs.depth { return lhs.depth < rhs.depth }
            if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
            return precedes(graph.id(lhs.node), graph.id(rhs.node))
        }
        return keyed.map(\.node)
    }

    /// The mainline position of the closest mainline event reached from `node` by following power
    /// levels auth events; every event on the way is remembered in `memo` (-1 for not yet known).
    private mutating func mainlineDepth(of node: Node, memo: inout NodeTable<Int>) -> Int {
        var path: [Node] = []
        var current: Node? = node
        var found = 0
        while let step = current {
            let known = memo[step]
            if known >= 0 { found = known; break }
            path.append(step)
            current = powerLevelsAuthEvent(of: step)
            if path.count > graph.count { break }   // a cycle of power levels events: treat as no mainline
        }
        for step in path { memo[step] = found }
        return found
    }

    /// The first `m.room.power_levels` event among the auth events of `node`.
    private mutating func powerLevelsAuthEvent(of node: Node) -> Node? {
        graph.authNodes(node).first { graph.summary($0).isPowerLevels }
    }

    // MARK: - Iterative auth checks

    /// Applies each event in order to `state` if the authorization rules allow it. Each event is
    /// checked against its own auth events, replaced by the events of `state` for its auth types.
    /// Rejected events are skipped, and are never used as auth events.
    private mutating func iterativeAuthChecks(_ events: [Node], state: inout OverlayState) {
        for node in events {
            guard let event = graph.event(node), let slot = event.stateSlot, !isRejected(event.eventID)
            else { continue }
            let parents = graph.authNodes(node)
            let authTypes = authorizer.authTypes(for: event, rules: rules)
            var authState: [StateKey: PDU] = [:]
            authState.reserveCapacity(parents.count + authTypes.count)
            for parent in parents {
                if let auth = graph.event(parent), let authSlot = auth.stateSlot, !isRejected(auth.eventID) {
                    authState[authSlot] = auth
                }
            }
            for key in authTypes {
                guard let id = state[key], !isRejected(id), let auth = graph.event(graph.node(id))
                else { continue }
                authState[key] = auth
            }
            do {
                try authorizer.check(event, authState: authState, rules: rules)
                state[slot] = event.eventID
            } catch {
                continue
            }
        }
    }

    /// Whether `id` was rejected by the auth rules before resolution (not hashed when none were).
    private func isRejected(_ id: EventID) -> Bool {
        !rejected.isEmpty && rejected.contains(id)
    }
}

/// What the reverse topological power ordering compares: sender power (descending), then
/// `origin_server_ts`, then event ID.
struct PowerOrderKey {
    let power: Int64
    let timestamp: Int64
    let id: EventID
}

/// A state map built as changes over a base that is never copied.
struct OverlayState {
    let base: StateMap
    private(set) var changes: StateMap = [:]

    init(base: StateMap) { self.base = base }

    subscript(key: StateKey) -> EventID? {
        get { changes[key] ?? base[key] }
        set { changes[key] = newValue }
    }
}

/// A set of graph nodes that remembers insertion order.
struct NodeSet {
    private var isMember = NodeTable<Bool>(default: false)
    private(set) var members: [Int32] = []

    init() {}

    init(_ nodes: some Sequence<Int32>) { for node in nodes { insert(node) } }

    var count: Int { members.count }

    func contains(_ node: Int32) -> Bool { isMember[node] }

    /// Inserts `node`; returns whether it was new.
    @discardableResult
    mutating func insert(_ node: Int32) -> Bool {
        guard !isMember[node] else { return false }
        isMember[node] = true
        members.append(node)
        return true
    }
}

/// A value for every graph node, stored in an array by node number; nodes never set have `default`.
struct NodeTable<Value> {
    private var values: [Value] = []
    private let defaultValue: Value

    init(default defaultValue: Value) { self.defaultValue = defaultValue }

    subscript(node: Int32) -> Value {
        get { Int(node) < values.count ? values[Int(node)] : defaultValue }
        set {
            grow(toInclude: node)
            values[Int(node)] = newValue
        }
    }

    /// Appends `element` to the array of `node` in place.
    mutating func append<Element>(_ element: Element, at node: Int32) where Value == [Element] {
        grow(toInclude: node)
        values[Int(node)].append(element)
    }

    private mutating func grow(toInclude node: Int32) {
        guard Int(node) >= values.count else { return }
        let count = max(Int(node) + 1, 2 * values.count)
        values.append(contentsOf: repeatElement(defaultValue, count: count - values.count))
    }
}
