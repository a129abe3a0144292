import HomeserverTesting
import PostgresNIO
import Storage
import Testing

/// The unread counts that many woken long-polls read in one round trip.
@Suite("Unread counts batched over many users and rooms")
struct UnreadCountsTests {
    @Test("each (user, room) counts its notifications and highlights after the read receipt once, however often it is asked")
    func countsPerPair() async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            // Events 1…3 in !r; @a is notified of all three (3 a highlight), @b of 1 only; @a read up to 1.
            for position in 1...3 {
                try await database.client.query(
                    """
                    INSERT INTO events (event_id, room_id, stream_ordering, depth, type, sender, origin_server_ts,
                                        received_ts, json, outlier)
                    VALUES (\("$e\(position)"), '!r:test', \(Int64(position)), \(Int64(position)), 'm.room.message',
                            '@c:test', 0, 0, '{}', FALSE)
                    """
                )
            }
            try await database.client.query(
                """
                INSERT INTO event_push_actions (user_id, room_id, event_id, highlight) VALUES
                    ('@a:test', '!r:test', '$e1', FALSE), ('@a:test', '!r:test', '$e2', FALSE),
                    ('@a:test', '!r:test', '$e3', TRUE), ('@b:test', '!r:test', '$e1', FALSE)
                """
            )
            try await database.client.query(
                """
                INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, ts,
                                      stream_id)
                VALUES ('!r:test', 'm.read', '@a:test', '', '$e1', 1, 0, 1)
                """
            )
            // Two devices of @a ask for !r, one of them for a room without notifications too.
            let first = UserRooms(userID: "@a:test", roomIDs: ["!r:test"])
            let second = UserRooms(userID: "@a:test", roomIDs: ["!r:test", "!quiet:test"])
            let other = UserRooms(userID: "@b:test", roomIDs: ["!r:test"])
            let counts = try await SyncStore(database: database).unreadCounts(of: [first, second, other])
            for request in [first, second] {
                #expect(counts[request]?["!r:test"]?.notifications == 2)
                #expect(counts[request]?["!r:test"]?.highlights == 1)
                #expect(counts[request]?["!quiet:test"] == nil)
            }
            #expect(counts[other]?["!r:test"]?.notifications == 1)
            #expect(counts[other]?["!r:test"]?.highlights == 0)
        }
    }
}
