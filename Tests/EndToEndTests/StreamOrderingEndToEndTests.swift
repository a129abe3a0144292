import Foundation
import HomeserverTesting
import Logging
import MatrixCore
import Storage
import Testing

/// DESIGN.md invariant 1 across processes: two client-api replicas write concurrently, and a
/// reader that follows the events stream by position sees every event exactly once, with the
/// positions it sees always a gap-free prefix.
@Suite("Events stream across two client-api processes")
struct StreamOrderingEndToEndTests {
    static let writersPerReplica = 3
    static let messagesPerWriter = 20

    @Test("concurrent sends through two replicas reach a position reader exactly once and without gaps",
          .timeLimit(.minutes(5)))
    func concurrentWritersNoGaps() async throws {
        let cluster = try await LocalCluster.start(replicas: ["client-api": 2])
        do {
            try await exercise(cluster)
        } catch {
            await cluster.cleanUp()
            throw error
        }
        await cluster.cleanUp()
    }

    func exercise(_ cluster: LocalCluster) async throws {
        let replicas = cluster.workers.filter { $0.kind == "client-api" }
        #expect(replicas.count == 2)
        let registered = try await Curl.request(cluster.baseURL + "/_matrix/client/v3/register", method: "POST", json: [
            "username": "writer", "password": "writer password", "auth": ["type": "m.login.dummy"],
        ])
        let token = try #require(try registered.json["access_token"]?.stringValue, "\(registered.body)")
        var rooms: [String] = []
        for _ in 0..<4 {
            let created = try await Curl.request(cluster.baseURL + "/_matrix/client/v3/createRoom", method: "POST",
                                                 json: [:], token: token)
            rooms.append(try #require(try created.json["room_id"]?.stringValue, "\(created.body)"))
        }

        // A retried transaction is deduplicated across replicas too (invariant 5).
        let txnPath = "/_matrix/client/v3/rooms/\(rooms[0])/send/m.room.message/shared-txn"
        let first = try await Curl.request("http://127.0.0.1:\(replicas[0].apiPort)" + txnPath, method: "PUT",
                                           json: ["msgtype": "m.text", "body": "once"], token: token)
        let retry = try await Curl.request("http://127.0.0.1:\(replicas[1].apiPort)" + txnPath, method: "PUT",
                                           json: ["msgtype": "m.text", "body": "once"], token: token)
        #expect(try first.json["event_id"] == retry.json["event_id"])

        let database = Database(settings: PostgresTestDatabase.settings(name: cluster.databaseName),
                                logger: Logger(label: "e2e"))
        let store = EventStore(database: database)
        try await database.whileRunning {
            let start = try await store.maxStreamPosition()
            let writersDone = StopSignal()
            let reader = Task { try await Self.follow(store, from: start, until: writersDone) }
            let rooms = rooms
            let sent = try await withThrowingTaskGroup(of: [String].self) { group in
                for replica in replicas {
                    for writer in 0..<Self.writersPerReplica {
                        group.addTask {
                            try await Self.send(to: replica.apiPort, rooms: rooms, writer: writer, token: token)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let end = try await store.maxStreamPosition()
            await writersDone.stop()
            let seen = try await Self.follow(store, from: start, until: end, after: reader)
            #expect(sent.count == 2 * Self.writersPerReplica * Self.messagesPerWriter)
            #expect(Set(sent).count == sent.count)
            #expect(Set(seen).isSuperset(of: sent), "every sent event is read by position")
            #expect(Set(seen).count == seen.count, "no event is read twice")
            #expect(Int64(seen.count) == end - start, "positions \(start + 1)…\(end) are all filled")
        }
    }

    /// Sends `messagesPerWriter` messages to one replica, round-robin over the rooms.
    static func send(to port: Int, rooms: [String], writer: Int, token: String) async throws -> [String] {
        var eventIDs: [String] = []
        for index in 0..<messagesPerWriter {
            let room = rooms[(writer + index) % rooms.count]
            let response = try await Curl.request(
                "http://127.0.0.1:\(port)/_matrix/client/v3/rooms/\(room)/send/m.room.message/w\(port)-\(writer)-\(index)",
                method: "PUT", json: ["msgtype": "m.text", "body": .string("\(port)/\(writer)/\(index)")], token: token
            )
            eventIDs.append(try #require(try response.json["event_id"]?.stringValue, "\(response.body)"))
        }
        return eventIDs
    }

    /// Polls `events(after:)` while writers run, checking that every batch continues exactly
    /// where the last one ended; stops once `signal` is given and returns the event IDs in order.
    static func follow(_ store: EventStore, from start: Int64, until signal: StopSignal) async throws -> [String] {
        var position = start
        var eventIDs: [String] = []
        while await !signal.isStopped {
            let batch = try await store.events(after: position, limit: 50)
            for event in batch {
                #expect(event.streamPosition == position + 1, "gap observed after position \(position)")
                position = event.streamPosition
                eventIDs.append(event.eventID)
            }
            if batch.isEmpty { await Task.yield() }
        }
        return eventIDs
    }

    /// Takes what the concurrent reader saw and reads on from there up to `end`.
    static func follow(
        _ store: EventStore, from start: Int64, until end: Int64, after reader: Task<[String], any Error>
    ) async throws -> [String] {
        var eventIDs = try await reader.value
        var position = start + Int64(eventIDs.count)
        while position < end {
            let batch = try await store.events(after: position, limit: 500)
            guard !batch.isEmpty else { break }
            for event in batch {
                #expect(event.streamPosition == position + 1, "gap observed after position \(position)")
                position = event.streamPosition
                eventIDs.append(event.eventID)
            }
        }
        return eventIDs
    }
}

/// Tells the concurrent reader that the writers have finished.
actor StopSignal {
    private(set) var isStopped = false
    func stop() { isStopped = true }
}
