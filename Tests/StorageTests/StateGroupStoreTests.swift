import HomeserverTesting
import Logging
import PostgresNIO
import Storage
import SeededRandom
import Testing

@Suite("State group store")
struct StateGroupStoreTests {
    static let room = "!room:test"

    /// Runs `body` with a fresh, migrated database and a store capping chains at `maxDeltaDepth`.
    static func withStore(
        maxDeltaDepth: Int = 100, _ body: (Database, StateGroupStore) async throws -> Void
    ) async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            try await body(database, StateGroupStore(database: database, maxDeltaDepth: maxDeltaDepth))
        }
    }

    static func slot(_ type: String, _ stateKey: String = "") -> StateSlotKey {
        StateSlotKey(type: type, stateKey: stateKey)
    }

    static func member(_ index: Int) -> StateSlotKey { slot("m.room.member", "@user\(index):test") }

    /// The `state_groups` row of a group: its previous group and delta depth.
    static func groupRow(_ group: Int64, in database: Database) async throws -> (previous: Int64?, deltaDepth: Int32) {
        let rows = try await database.client.query(
            "SELECT prev_state_group, delta_depth FROM state_groups WHERE id = \(group)")
        for try await row in rows.decode((Int64?, Int32).self) { return row }
        throw StateGroupError.unknownGroup(group)
    }

    /// How many `state_groups_state` rows a group has.
    static func rowCount(of group: Int64, in database: Database) async throws -> Int {
        let rows = try await database.client.query(
            "SELECT count(*) FROM state_groups_state WHERE state_group = \(group)")
        for try await count in rows.decode(Int.self) { return count }
        return -1
    }

    @Test("a snapshot and deltas on it reconstruct exactly, and a NULL removes a slot")
    func snapshotThenDeltas() async throws {
        try await Self.withStore { database, store in
            let create = Self.slot("m.room.create"), topic = Self.slot("m.room.topic")
            let alice = Self.member(1), bob = Self.member(2)
            let snapshot = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$1", previous: nil,
                delta: [create: "$create", alice: "$alice-join", Self.slot("m.room.name"): nil]
            )
            #expect(try await store.state(ofGroup: snapshot) == [create: "$create", alice: "$alice-join"])
            // A snapshot stores no removal rows.
            #expect(try await Self.rowCount(of: snapshot, in: database) == 2)

            let second = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$2", previous: snapshot, delta: [bob: "$bob-join", topic: "$topic1"])
            let third = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$3", previous: second, delta: [topic: "$topic2", alice: "$alice-leave"])
            let fourth = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$4", previous: third, delta: [topic: nil])

            #expect(try await store.state(ofGroup: second)
                == [create: "$create", alice: "$alice-join", bob: "$bob-join", topic: "$topic1"])
            #expect(try await store.state(ofGroup: third)
                == [create: "$create", alice: "$alice-leave", bob: "$bob-join", topic: "$topic2"])
            #expect(try await store.state(ofGroup: fourth)
                == [create: "$create", alice: "$alice-leave", bob: "$bob-join"])
            // Earlier groups are untouched by later ones.
            #expect(try await store.state(ofGroup: snapshot) == [create: "$create", alice: "$alice-join"])

            #expect(try await Self.groupRow(fourth, in: database) == (third, 3))
            #expect(try await Self.groupRow(snapshot, in: database) == (nil, 0))
            #expect(try await Self.rowCount(of: fourth, in: database) == 1)

            #expect(try await store.state(ofGroup: third, types: ["m.room.member"])
                == [alice: "$alice-leave", bob: "$bob-join"])
            #expect(try await store.state(ofGroup: fourth, types: ["m.room.topic"]).isEmpty)
            #expect(try await store.state(ofGroup: third, types: []).isEmpty)
            #expect(try await store.state(ofGroup: 999_999).isEmpty)
        }
    }

    @Test("a slot removed and then set again is present")
    func removeThenReAdd() async throws {
        try await Self.withStore { _, store in
            let topic = Self.slot("m.room.topic")
            let base = try await store.storeStateGroup(roomID: Self.room, eventID: "$1", previous: nil, delta: [topic: "$a"])
            let removed = try await store.storeStateGroup(roomID: Self.room, eventID: "$2", previous: base, delta: [topic: nil])
            let readded = try await store.storeStateGroup(roomID: Self.room, eventID: "$3", previous: removed, delta: [topic: "$b"])
            #expect(try await store.state(ofGroup: removed).isEmpty)
            #expect(try await store.state(ofGroup: readded) == [topic: "$b"])
        }
    }

    @Test("a chain past maxDeltaDepth starts a new snapshot with the same state")
    func chainCappedBySnapshot() async throws {
        try await Self.withStore(maxDeltaDepth: 5) { database, store in
            var expected: [StateSlotKey: String] = [Self.slot("m.room.create"): "$create", Self.member(0): "$join0"]
            var group = try await store.storeStateGroup(roomID: Self.room, eventID: "$0", previous: nil, delta: expected)
            for step in 1...5 {
                let delta: [StateSlotKey: String?] = [Self.member(step): "$join\(step)", Self.member(step - 1): nil]
                let next = try await store.storeStateGroup(roomID: Self.room, eventID: "$\(step)", previous: group, delta: delta)
                for (slot, eventID) in delta { expected[slot] = eventID }
                #expect(try await Self.groupRow(next, in: database) == (group, Int32(step)))
                #expect(try await store.state(ofGroup: next) == expected)
                group = next
            }
            // The sixth delta would make the chain 6 long: it becomes a snapshot instead.
            let capped = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$6", previous: group, delta: [Self.member(6): "$join6"])
            expected[Self.member(6)] = "$join6"
            #expect(try await Self.groupRow(capped, in: database) == (nil, 0))
            #expect(try await store.state(ofGroup: capped) == expected)
            #expect(try await Self.rowCount(of: capped, in: database) == expected.count)
            // Deltas start again from the new snapshot.
            let after = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$7", previous: capped, delta: [Self.member(6): nil])
            expected[Self.member(6)] = nil
            #expect(try await Self.groupRow(after, in: database) == (capped, 1))
            #expect(try await store.state(ofGroup: after) == expected)
        }
    }

    @Test("maxDeltaDepth 0 makes every group a snapshot")
    func noDeltas() async throws {
        try await Self.withStore(maxDeltaDepth: 0) { database, store in
            let first = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$1", previous: nil, delta: [Self.member(1): "$a"])
            let second = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$2", previous: first, delta: [Self.member(2): "$b"])
            #expect(try await Self.groupRow(second, in: database) == (nil, 0))
            #expect(try await store.state(ofGroup: second) == [Self.member(1): "$a", Self.member(2): "$b"])
        }
    }

    @Test("a one-slot change to a 20,000-member room writes one row")
    func largeRoom() async throws {
        try await Self.withStore { database, store in
            var members: [StateSlotKey: String?] = [Self.slot("m.room.create"): "$create"]
            for index in 0..<20_000 { members[Self.member(index)] = "$join\(index)" }
            let snapshot = try await store.storeStateGroup(roomID: Self.room, eventID: "$big", previous: nil, delta: members)
            #expect(try await Self.rowCount(of: snapshot, in: database) == 20_001)

            let delta = try await store.storeStateGroup(
                roomID: Self.room, eventID: "$leave", previous: snapshot, delta: [Self.member(7): "$leave7"])
            #expect(try await Self.rowCount(of: delta, in: database) == 1)

            let state = try await store.state(ofGroup: delta)
            #expect(state.count == 20_001)
            #expect(state[Self.member(7)] == "$leave7")
            #expect(state[Self.member(8)] == "$join8")
            #expect(state[Self.slot("m.room.create")] == "$create")
            let onlyCreate = try await store.state(ofGroup: delta, types: ["m.room.create"])
            #expect(onlyCreate == [Self.slot("m.room.create"): "$create"])
        }
    }

    @Test("an unknown or foreign previous group is refused and nothing is stored")
    func badPrevious() async throws {
        try await Self.withStore { database, store in
            await #expect(throws: StateGroupError.unknownGroup(42)) {
                try await store.storeStateGroup(roomID: Self.room, eventID: "$1", previous: 42, delta: [:])
            }
            let other = try await store.storeStateGroup(roomID: "!other:test", eventID: "$o", previous: nil, delta: [:])
            await #expect(throws: StateGroupError.roomMismatch(group: other, groupRoomID: "!other:test", roomID: Self.room)) {
                try await store.storeStateGroup(roomID: Self.room, eventID: "$1", previous: other, delta: [:])
            }
            let rows = try await database.client.query("SELECT count(*) FROM state_groups")
            for try await count in rows.decode(Int.self) { #expect(count == 1) }
        }
    }

    @Test("events map to state groups")
    func eventMapping() async throws {
        try await Self.withStore { _, store in
            let first = try await store.storeStateGroup(roomID: Self.room, eventID: "$1", previous: nil, delta: [:])
            let second = try await store.storeStateGroup(roomID: Self.room, eventID: "$2", previous: first, delta: [:])
            #expect(try await store.stateGroup(forEvent: "$1") == nil)
            try await store.setStateGroup(first, forEvent: "$1")
            try await store.setStateGroup(first, forEvent: "$2")
            #expect(try await store.stateGroup(forEvent: "$1") == first)
            try await store.setStateGroup(second, forEvent: "$2")
            #expect(try await store.stateGroup(forEvent: "$2") == second)
            #expect(try await store.stateGroup(forEvent: "$1") == first)
        }
    }

    @Test("the transaction variants share the caller's transaction and roll back with it")
    func inTransaction() async throws {
        try await Self.withStore { database, store in
            let error = await #expect(throws: PostgresTransactionError.self) {
                try await database.client.withTransaction(logger: Logger(label: "test")) { connection in
                    let group = try await store.storeStateGroup(
                        roomID: Self.room, eventID: "$1", previous: nil, delta: [Self.member(1): "$a"], on: connection)
                    try await store.setStateGroup(group, forEvent: "$1", on: connection)
                    #expect(try await store.state(ofGroup: group, types: nil, on: connection) == [Self.member(1): "$a"])
                    throw Abort()
                }
            }
            #expect(error?.closureError is Abort)
            let group = try await store.stateGroup(forEvent: "$1")
            #expect(group == nil)
        }
    }

    struct Abort: Error {}

    // MARK: - Property test

    @Test("random delta sequences with branches match an in-memory model", arguments: [1, 2, 3] as [UInt64])
    func matchesModel(seed: UInt64) async throws {
        let maxDeltaDepth = 7
        try await Self.withStore(maxDeltaDepth: maxDeltaDepth) { database, store in
            var random = SplitMix64(seed: seed)
            let types = ["m.room.member", "m.room.topic", "m.room.power_levels", "org.example.custom"]
            // The model: every group's full state and expected delta depth.
            var states: [Int64: [StateSlotKey: String]] = [:]
            var depths: [Int64: Int32] = [:]
            var groups: [Int64] = []
            var eventCounter = 0
            func nextEventID() -> String {
                eventCounter += 1
                return "$e\(eventCounter)"
            }

            for step in 0..<200 {
                // Mostly extend the latest group; sometimes branch from an older one, or start afresh.
                let previous: Int64?
                let roll = Int.random(in: 0..<100, using: &random)
                if groups.isEmpty || roll < 2 {
                    previous = nil
                } else if roll < 15 {
                    previous = groups.randomElement(using: &random)
                } else {
                    previous = groups.last
                }
                let base = previous.flatMap { states[$0] } ?? [:]

                var delta: [StateSlotKey: String?] = [:]
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    let existing = Array(base.keys)
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0..<4:  // add a (probably) new slot
                        let type = types.randomElement(using: &random)!
                        let slot = StateSlotKey(type: type, stateKey: "k\(Int.random(in: 0..<40, using: &random))")
                        delta[slot] = nextEventID()
                    case 4..<7 where !existing.isEmpty:  // change an existing slot
                        delta[existing.randomElement(using: &random)!] = nextEventID()
                    case 7..<9 where !existing.isEmpty:  // remove an existing slot
                        delta[existing.randomElement(using: &random)!] = .some(nil)
                    default:  // remove a slot that may not exist
                        delta[StateSlotKey(type: "m.room.member", stateKey: "k\(Int.random(in: 0..<40, using: &random))")] = .some(nil)
                    }
                }

                var expected = base
                for (slot, eventID) in delta { expected[slot] = eventID }
                let expectedDepth: Int32 = previous.map { depths[$0]! < maxDeltaDepth ? depths[$0]! + 1 : 0 } ?? 0

                let group = try await store.storeStateGroup(
                    roomID: Self.room, eventID: "$step\(step)", previous: previous, delta: delta)
                states[group] = expected
                depths[group] = expectedDepth
                groups.append(group)

                let stored = try await store.state(ofGroup: group)
                #expect(stored == expected, "seed \(seed) step \(step): group \(group) from \(String(describing: previous))")
                #expect(try await Self.groupRow(group, in: database).deltaDepth == expectedDepth, "seed \(seed) step \(step)")
                // An earlier group still reads back as it did.
                let older = groups.randomElement(using: &random)!
                #expect(try await store.state(ofGroup: older) == states[older], "seed \(seed) step \(step): older \(older)")
                let memberOnly = try await store.state(ofGroup: group, types: ["m.room.member"])
                #expect(memberOnly == expected.filter { $0.key.type == "m.room.member" }, "seed \(seed) step \(step)")
                if stored != expected { return }
            }
        }
    }
}
