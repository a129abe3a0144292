import HomeserverTesting
import Logging
import PostgresNIO
import Storage
import Testing

@Suite("Client data stores and their streams")
struct ClientDataStoreTests {
    @Test("migration 6 carries the events stream head over into stream_heads")
    func eventsHeadCarriesOver() async throws {
        try await PostgresTestDatabase.with { database in
            let migrations = try Migration.bundled()
            let before = migrations.filter { $0.version < 6 }
            try await MigrationRunner(database: database, migrations: before).migrate()
            try await database.client.query("UPDATE event_stream_head SET position = 42")
            try await MigrationRunner(database: database, migrations: migrations).migrate()
            let events = EventStore(database: database)
            #expect(try await events.maxStreamPosition() == 42)
            let persisted = try await events.persist([EventStoreTests.event("$after")])
            #expect(persisted.map(\.streamPosition) == [43])
        }
    }

    @Test("concurrent account data writers take distinct positions of their own stream")
    func accountDataPositions() async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            let store = AccountDataStore(database: database)
            let positions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await store.put(userID: "@u\(index % 4):test", roomID: index % 2 == 0 ? nil : "!r:test",
                                            type: "t\(index)", content: "{}")
                    }
                }
                var positions: [Int64] = []
                for try await position in group { positions.append(position) }
                return positions
            }
            #expect(Set(positions) == Set(1...20))
            // Replacing a value moves it to a new position; the events stream is untouched.
            #expect(try await store.put(userID: "@u0:test", roomID: nil, type: "t0", content: #"{"a":1}"#) == 21)
            #expect(try await store.content(userID: "@u0:test", roomID: nil, type: "t0") == #"{"a":1}"#)
            #expect(try await store.content(userID: "@u0:test", roomID: "!r:test", type: "t0") == nil)
            #expect(try await EventStore(database: database).maxStreamPosition() == 0)
        }
    }

    @Test("a receipt moves forward only; moving it back allocates nothing visible")
    func receiptsMoveForward() async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            let store = ReceiptStore(database: database)
            func receipt(_ eventID: String, at position: Int64, thread: String? = nil) -> NewReceipt {
                NewReceipt(roomID: "!r:test", type: "m.read", userID: "@u:test", threadID: thread, eventID: eventID,
                           eventStreamPosition: position, timestamp: 1)
            }
            let first = try #require(try await store.put(receipt("$b", at: 5)))
            #expect(try await store.put(receipt("$a", at: 4)) == nil)
            #expect(try await store.put(receipt("$b", at: 5)) == nil)
            let threaded = try #require(try await store.put(receipt("$a", at: 4, thread: "main")))
            let later = try #require(try await store.put(receipt("$c", at: 6)))
            #expect(first < threaded && threaded < later)
        }
    }
}
