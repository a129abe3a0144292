import Foundation
import HTTPTypes
import MatrixCore
import PostgresNIO
import Storage
import Testing

/// Sends that overlap are persisted together in batches (`SendBatcher`); these tests check that a
/// batch keeps every guarantee of one-at-a-time sends.
@Suite("Concurrent sends: batched, yet each event once, chained, and checked on its own")
struct ConcurrentSendTests {
    @Test("overlapping sends to two rooms: each persisted once, one chain per room, duplicates and refusals apart",
          .timeLimit(.minutes(2)))
    func overlappingSends() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let carol = try await api.register("carol"), dave = try await api.register("dave")
            let shared = try await api.createRoom(token: alice, ["preset": "public_chat"])
            #expect(try await api.call(.post, "/_matrix/client/v3/rooms/\(escaped(shared))/join", token: bob, body: [:]).status == 200)
            let own = try await api.createRoom(token: carol)

            // 10 messages each from alice and bob to the shared room and from carol to her own,
            // each of alice's first three twice under one transaction ID, and dave, who is not
            // in the shared room, trying too: all at once.
            var sends: [(label: String, token: String, room: String, txn: String)] = []
            for index in 0..<10 {
                sends.append(("alice \(index)", alice, shared, "a\(index)"))
                sends.append(("bob \(index)", bob, shared, "b\(index)"))
                sends.append(("carol \(index)", carol, own, "c\(index)"))
            }
            for index in 0..<3 { sends.append(("alice \(index)", alice, shared, "a\(index)")) }
            sends.append(("dave", dave, shared, "d0"))
            let results = try await withThrowingTaskGroup(of: (Int, Int, String?).self) { group in
                for (offset, send) in sends.enumerated() {
                    group.addTask {
                        let (status, body) = try await api.send(send.label, in: send.room, token: send.token, txn: send.txn)
                        return (offset, status, body["event_id"]?.stringValue)
                    }
                }
                var results = [(status: Int, eventID: String?)](repeating: (0, nil), count: sends.count)
                for try await (offset, status, eventID) in group { results[offset] = (status, eventID) }
                return results
            }

            #expect(results.last?.status == 403)
            let accepted = results.dropLast()
            #expect(accepted.allSatisfy { $0.status == 200 && $0.eventID != nil })
            for index in 0..<3 {
                #expect(results[30 + index].eventID == results[3 * index].eventID, "a retried transaction gives its first event")
            }
            #expect(Set(accepted.compactMap(\.eventID)).count == 30)

            for (roomID, messages) in [(shared, 20), (own, 10)] {
                let chain = try await Self.timeline(of: roomID, in: api.database)
                #expect(chain.filter { $0.type == "m.room.message" }.count == messages)
                for (previous, event) in zip(chain, chain.dropFirst()) {
                    #expect(event.prevEvents == [previous.eventID], "each event follows the one before it in the stream")
                    #expect(event.depth == previous.depth + 1)
                }
                #expect(try await Self.extremities(of: roomID, in: api.database) == [chain.last?.eventID])
            }
        }
    }

    @Test("rooms created at once by one user with the same content all exist, with distinct IDs",
          .timeLimit(.minutes(2)))
    func simultaneousRoomCreation() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomIDs = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await api.createRoom(token: alice, ["preset": "private_chat"]) } }
                var roomIDs: [String] = []
                for try await roomID in group { roomIDs.append(roomID) }
                return roomIDs
            }
            #expect(Set(roomIDs).count == 20)
            let (_, joined) = try await api.call(.get, "/_matrix/client/v3/joined_rooms", token: alice)
            #expect(Set(joined["joined_rooms"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(roomIDs))
        }
    }

    /// The room's events in stream order with their depth and prev events, from the database.
    static func timeline(of roomID: String, in database: Database) async throws
        -> [(eventID: String, type: String, depth: Int64, prevEvents: [String])] {
        let rows = try await database.client.query(
            """
            SELECT e.event_id, e.type, e.depth,
                   COALESCE((SELECT array_agg(prev_event_id) FROM event_edges AS g WHERE g.event_id = e.event_id), '{}')
            FROM events AS e WHERE e.room_id = \(roomID) ORDER BY e.stream_ordering
            """
        )
        var events: [(eventID: String, type: String, depth: Int64, prevEvents: [String])] = []
        for try await (eventID, type, depth, prevEvents) in rows.decode((String, String, Int64, [String]).self) {
            events.append((eventID, type, depth, prevEvents))
        }
        return events
    }

    static func extremities(of roomID: String, in database: Database) async throws -> [String?] {
        let rows = try await database.client.query(
            "SELECT unnest(extremities) FROM room_tips WHERE room_id = \(roomID)"
        )
        var eventIDs: [String?] = []
        for try await eventID in rows.decode(String.self) { eventIDs.append(eventID) }
        return eventIDs
    }
}
