import MatrixCore
import MatrixEvents
@testable import RoomGraph
import RoomGraphTesting
import SeededRandom
import Testing

/// A random room: a few users, a shared history, then two to four branches that each receive random
/// joins, leaves, kicks, bans, invites, power level, join rule and topic changes, many of them not
/// allowed by the auth rules. Deterministic for a seed. Odd seeds give every event the same
/// `origin_server_ts`, so that the orderings fall back to their event ID tie-breaks.
struct RandomRoom {
    let rules: RoomVersionRules
    let states: [StateMap]
    let events: [EventID: PDU]

    init(seed: UInt64, version: RoomVersionID) {
        var random = SplitMix64(seed: seed)
        let users = (1...6).map { "@u\($0):example.org" }
        var room = TestRoom(version: version)
        let rules = room.rules
        for user in users.prefix(4) { room.join(user) }
        room.setPowerLevels(users: levels([users[0]: 50, users[1]: 50], rules), by: User.alice)
        for _ in 0..<Int.random(in: 0...4, using: &random) { Self.randomStep(&room, users: users, random: &random) }

        var branches = [room, room.fork()]
        for _ in 0..<Int.random(in: 4...30, using: &random) {
            let index = Int.random(in: 0..<branches.count, using: &random)
            if branches.count < 4, Int.random(in: 0..<10, using: &random) == 0 {
                branches.append(branches[index].fork())
            }
            Self.randomStep(&branches[index], users: users, random: &random)
        }
        self.rules = rules
        self.states = branches.map(\.state)
        var events = room.allEvents
        if seed % 2 == 1 {
            for (id, event) in events {
                var json = event.json
                json["origin_server_ts"] = 1_700_000_000_000
                events[id] = try! PDU(eventID: id, json: json)
            }
        }
        self.events = events
    }

    private static func randomStep(_ room: inout TestRoom, users: [String], random: inout SplitMix64) {
        let actors = [User.alice] + users
        let actor = actors.randomElement(using: &random)!
        let target = users.randomElement(using: &random)!
        switch Int.random(in: 0..<9, using: &random) {
        case 0: room.join(target)
        case 1: room.leave(target)
        case 2: room.kick(target, by: actor)
        case 3: room.ban(target, by: actor)
        case 4: room.invite(target, by: actor)
        case 5:
            var map: [String: Int64] = [:]
            for user in users where Bool.random(using: &random) { map[user] = [0, 25, 50, 75].randomElement(using: &random)! }
            room.setPowerLevels(users: levels(map, room.rules), by: actor)
        case 6: room.setJoinRule(["public", "invite"].randomElement(using: &random)!, by: actor)
        case 7:
            room.send(type: "m.room.topic", stateKey: "", content: ["topic": .string("\(random.next() % 100)")],
                      sender: actor)
        default: room.message(from: actor)
        }
    }
}

/// Properties any resolution must have, over many random rooms.
@Suite("State resolution properties")
struct StateResolutionPropertyTests {
    static let versions: [RoomVersionID] = ["1", "2", "10", "12"]
    static let seeds: Range<UInt64> = 0..<120

    @Test("the order of the states does not matter", arguments: versions)
    func orderOfStates(version: RoomVersionID) throws {
        for seed in Self.seeds {
            let room = RandomRoom(seed: seed, version: version)
            let expected = try StateResolution.resolve(room.states, provider: room.events, rules: room.rules)
            var random = SplitMix64(seed: seed ^ 0xABCDEF)
            for _ in 0..<3 {
                let shuffled = room.states.shuffled(using: &random)
                let resolved = try StateResolution.resolve(shuffled, provider: room.events, rules: room.rules)
                #expect(resolved == expected, "seed \(seed)")
            }
        }
    }

    @Test("the iteration order of the maps and of the provider does not matter", arguments: versions)
    func iterationOrder(version: RoomVersionID) throws {
        for seed in Self.seeds {
            let room = RandomRoom(seed: seed, version: version)
            let expected = try StateResolution.resolve(room.states, provider: room.events, rules: room.rules)
            var random = SplitMix64(seed: seed ^ 0x5EED)
            let states = room.states.map { Self.rebuilt($0, random: &random) }
            let events = Self.rebuilt(room.events, random: &random)
            let resolved = try StateResolution.resolve(states, provider: events, rules: room.rules)
            #expect(resolved == expected, "seed \(seed)")
        }
    }

    @Test("one state, a state with itself and a resolved state with itself resolve to themselves",
          arguments: versions)
    func identityAndIdempotence(version: RoomVersionID) throws {
        for seed in Self.seeds {
            let room = RandomRoom(seed: seed, version: version)
            for state in room.states {
                #expect(try StateResolution.resolve([state], provider: room.events, rules: room.rules) == state)
                #expect(try StateResolution.resolve([state, state], provider: room.events, rules: room.rules) == state)
            }
            let resolved = try StateResolution.resolve(room.states, provider: room.events, rules: room.rules)
            #expect(try StateResolution.resolve([resolved, resolved], provider: room.events, rules: room.rules)
                    == resolved, "seed \(seed)")
            let repeated = room.states + [room.states[0]]
            #expect(try StateResolution.resolve(repeated, provider: room.events, rules: room.rules) == resolved,
                    "seed \(seed)")
        }
    }

    @Test("every resolved entry comes from one of the states or their auth chains", arguments: versions)
    func resolvedEventsAreKnown(version: RoomVersionID) throws {
        for seed in Self.seeds {
            let room = RandomRoom(seed: seed, version: version)
            let resolved = try StateResolution.resolve(room.states, provider: room.events, rules: room.rules)
            let candidates = Set(room.states.flatMap(\.values))
            for (key, id) in resolved {
                #expect(room.events[id]?.stateSlot == key, "seed \(seed)")
                if room.rules.stateResolution == .v1 { #expect(candidates.contains(id), "seed \(seed)") }
            }
            // Slots every state agrees on are kept as they are.
            for (key, id) in room.states[0] where room.states.allSatisfy({ $0[key] == id }) {
                #expect(resolved[key] == id, "seed \(seed)")
            }
        }
    }

    /// The same entries inserted in a random order into a dictionary of random capacity, so that
    /// iteration order differs.
    static func rebuilt<Key: Hashable, Value>(_ map: [Key: Value], random: inout SplitMix64) -> [Key: Value] {
        var result = [Key: Value](minimumCapacity: Int.random(in: map.count...(map.count * 4 + 8), using: &random))
        for (key, value) in map.shuffled(using: &random) { result[key] = value }
        return result
    }
}
