import HomeserverTesting
import Logging
import PostgresNIO
import Storage
import Testing

@Suite("Event store")
struct EventStoreTests {
    /// A minimal event of `room`; the JSON only has to be stored and returned verbatim.
    static func event(_ id: String, in room: String = "!room:test", prev: [String] = [], depth: Int64 = 1) -> NewEvent {
        NewEvent(
            eventID: id, roomID: room, type: "m.room.message", sender: "@alice:test", depth: depth,
            originServerTimestamp: 1_700_000_000_000, prevEventIDs: prev,
            json: #"{"event_id":"\#(id)","room_id":"\#(room)"}"#
        )
    }

    /// Runs `body` with a fresh, migrated database.
    static func withStore(_ body: (Database, EventStore) async throws -> Void) async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            try await body(database, EventStore(database: database))
        }
    }

    static func count(_ table: String, in database: Database) async throws -> Int {
        let rows = try await database.client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))
        for try await count in rows.decode(Int.self) { return count }
        return -1
    }

    @Test("persisted events read back in stream order with consecutive positions")
    func persistAndReadBack() async throws {
        try await Self.withStore { _, store in
            #expect(try await store.maxStreamPosition() == 0)
            let first = try await store.persist([Self.event("$a"), Self.event("$b", prev: ["$a"], depth: 2)])
            #expect(first.map(\.streamPosition) == [1, 2])
            var state = Self.event("$c", prev: ["$b"], depth: 3)
            state.type = "m.room.topic"
            state.stateKey = ""
            state.rejectedReason = "auth"
            _ = try await store.persist([state])
            #expect(try await store.maxStreamPosition() == 3)

            let all = try await store.events(after: 0, limit: 10)
            #expect(all.map(\.eventID) == ["$a", "$b", "$c"])
            #expect(all.map(\.streamPosition) == [1, 2, 3])
            #expect(all[0] == first[0])
            #expect(all[2].stateKey == "" && all[2].type == "m.room.topic" && all[2].rejectedReason == "auth")
            #expect(all[0].stateKey == nil && all[0].rejectedReason == nil && !all[0].outlier)
            #expect(all[1].json == #"{"event_id":"$b","room_id":"!room:test"}"#)
            #expect(try await store.events(after: 1, limit: 1).map(\.eventID) == ["$b"])
            #expect(try await store.events(after: 3, limit: 10).isEmpty)
        }
    }

    @Test("forward extremities follow a fork and its merge")
    func forwardExtremities() async throws {
        try await Self.withStore { _, store in
            let room = "!room:test"
            _ = try await store.persist([Self.event("$create")])
            #expect(try await store.forwardExtremities(of: room) == ["$create"])
            _ = try await store.persist([Self.event("$left", prev: ["$create"], depth: 2)])
            #expect(try await store.forwardExtremities(of: room) == ["$left"])
            // A second child of $create forks the DAG: both tips are extremities.
            _ = try await store.persist([Self.event("$right", prev: ["$create"], depth: 2)])
            #expect(try await store.forwardExtremities(of: room) == ["$left", "$right"])
            // A merge names both tips; a batch's inner events never become extremities.
            _ = try await store.persist([
                Self.event("$merge", prev: ["$left", "$right"], depth: 3),
                Self.event("$after", prev: ["$merge"], depth: 4),
            ])
            #expect(try await store.forwardExtremities(of: room) == ["$after"])
            #expect(try await store.forwardExtremities(of: "!other:test").isEmpty)
        }
    }

    @Test("a duplicate event ID fails the whole batch and leaves nothing behind")
    func duplicateRejected() async throws {
        try await Self.withStore { database, store in
            _ = try await store.persist([Self.event("$a")])
            await #expect(throws: EventPersistenceError.duplicateEvents(["$a"])) {
                try await store.persist([Self.event("$new", prev: ["$a"], depth: 2), Self.event("$a")])
            }
            await #expect(throws: EventPersistenceError.duplicateEvents(["$x"])) {
                try await store.persist([Self.event("$x"), Self.event("$x")])
            }
            #expect(try await store.events(after: 0, limit: 10).map(\.eventID) == ["$a"])
            #expect(try await store.maxStreamPosition() == 1)
            #expect(try await store.forwardExtremities(of: "!room:test") == ["$a"])
            #expect(try await Self.count("event_edges", in: database) == 0)
            // The failed batch returned its positions: the next event follows without a gap.
            let next = try await store.persist([Self.event("$b", prev: ["$a"], depth: 2)])
            #expect(next.map(\.streamPosition) == [2])
        }
    }

    /// Invariant 1: two pools (as two processes) write concurrently while a reader follows the
    /// stream by position; it must see 1, 2, 3, … with no gap and every event exactly once.
    @Test("concurrent writers in two processes never expose a gap to a reader following by position")
    func noGapsUnderConcurrentWriters() async throws {
        let writersPerPool = 6
        let transactionsPerWriter = 20
        let eventsPerWriter = (0..<transactionsPerWriter).reduce(0) { $0 + $1 % 3 + 1 }
        let expectedTotal = 2 * writersPerPool * eventsPerWriter

        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            var logger = Logger(label: "trellis.test")
            logger.logLevel = .warning
            let second = Database(settings: database.settings, logger: logger)
            try await second.whileRunning {
                let reader = EventStore(database: database)
                async let observed = Self.follow(reader, expecting: expectedTotal)

                let written = try await withThrowingTaskGroup(of: [String].self) { group in
                    for (poolIndex, pool) in [database, second].enumerated() {
                        for writer in 0..<writersPerPool {
                            group.addTask {
                                try await Self.write(
                                    to: EventStore(database: pool), room: "!p\(poolIndex)w\(writer):test",
                                    transactions: transactionsPerWriter
                                )
                            }
                        }
                    }
                    var all: [String] = []
                    for try await ids in group { all += ids }
                    return all
                }
                let (seen, violation) = try await observed
                #expect(violation == nil)
                #expect(written.count == expectedTotal)
                #expect(seen.count == expectedTotal)
                #expect(Set(written).symmetricDifference(seen).isEmpty)
                #expect(try await reader.maxStreamPosition() == Int64(expectedTotal))
            }
        }
    }

    /// Persists `transactions` batches of 1–3 chained events into one room; returns their IDs.
    static func write(to store: EventStore, room: String, transactions: Int) async throws -> [String] {
        var ids: [String] = []
        var tip: [String] = []
        for transaction in 0..<transactions {
            var batch: [NewEvent] = []
            for index in 0...(transaction % 3) {
                let id = "$\(room.dropFirst().prefix { $0 != ":" })_\(transaction)_\(index)"
                batch.append(event(id, in: room, prev: tip, depth: Int64(ids.count + batch.count + 1)))
                tip = [id]
            }
            let persisted = try await store.persist(batch)
            ids += persisted.map(\.eventID)
        }
        return ids
    }

    /// Follows the stream from 0 until `total` events were seen or the first gap/duplicate.
    ///
    /// Returns the event IDs in the order seen and a description of the first violation.
    /// Bounded by a number of polls and a deadline, so a stuck writer fails the test instead of hanging it.
    static func follow(_ store: EventStore, expecting total: Int) async throws -> ([String], String?) {
        var lastSeen: Int64 = 0
        var seen: [String] = []
        var seenIDs = Set<String>()
        let deadline = ContinuousClock.now + .seconds(120)
        var polls = 0
        while seen.count < total {
            polls += 1
            guard polls <= 500_000, ContinuousClock.now < deadline else {
                return (seen, "gave up after \(polls) polls with \(seen.count) of \(total) events")
            }
            for event in try await store.events(after: lastSeen, limit: 100) {
                guard event.streamPosition == lastSeen + 1 else {
                    return (seen, "saw position \(event.streamPosition) right after \(lastSeen)")
                }
                guard seenIDs.insert(event.eventID).inserted else {
                    return (seen, "saw \(event.eventID) twice")
                }
                lastSeen = event.streamPosition
                seen.append(event.eventID)
            }
            await Task.yield()
        }
        return (seen, nil)
    }
}
