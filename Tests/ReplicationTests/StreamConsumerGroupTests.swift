import Foundation
import HomeserverTesting
import Logging
import Replication
import ServiceLifecycle
import Testing

@Suite("Consumer groups")
struct StreamConsumerGroupTests {
    @Test func consumersShareTheWork() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let publisherConnection = server.connect()
            let connections = [server.connect(), server.connect()]
            defer { (connections + [publisherConnection]).forEach { $0.close() } }
            let groups = ["a", "b"].enumerated().map { index, name in
                StreamConsumerGroup(connection: connections[index], stream: stream, group: "workers",
                                    consumer: name, blockTimeout: .milliseconds(500), batchSize: 5)
            }
            try await groups[0].ensureCreated()
            try await groups[1].ensureCreated()  // BUSYGROUP is ignored
            let publisher = StreamPublisher(connection: publisherConnection)
            let ids = try await publish(1...60, to: stream, with: publisher)

            // Deterministic part: what `a` holds is not handed to `b`.
            var a = groups[0].entries.makeAsyncIterator()
            var b = groups[1].entries.makeAsyncIterator()
            let firstOfA = try #require(try await next(&a))
            let firstOfB = try #require(try await next(&b))
            #expect(firstOfA.id == ids[0])
            #expect(firstOfB.id == ids[5])

            // Then both drain concurrently, acknowledging as they go.
            let seenByA = Collector(), seenByB = Collector()
            await seenByA.append(firstOfA)
            await seenByB.append(firstOfB)
            try await groups[0].acknowledge([firstOfA.id])
            try await groups[1].acknowledge([firstOfB.id])
            let tasks = [(groups[0], seenByA, a), (groups[1], seenByB, b)].map { group, collector, iterator in
                Task {
                    var iterator = iterator
                    while let entry = try await next(&iterator) {
                        await collector.append(entry)
                        try await group.acknowledge([entry.id])
                    }
                }
            }
            try await waitUntil("all 60 entries to be handled") { let a = await seenByA.count; let b = await seenByB.count; return a + b >= 60 }
            try await waitUntil("all 60 entries to be acknowledged") { try await groups[0].pendingCount() == 0 }
            tasks.forEach { $0.cancel() }
            for task in tasks { try await task.value }

            let all = await seenByA.entries.map(\.id) + seenByB.entries.map(\.id)
            #expect(all.count == 60, "each entry delivered exactly once")
            #expect(Set(all) == Set(ids))
            #expect(await seenByA.count > 0)
            #expect(await seenByB.count > 0)
            #expect(try await groups[0].pendingCount() == 0)
        }
    }

    @Test func reclaimsEntriesOfADeadConsumer() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let deadConnection = server.connect()
            let liveConnection = server.connect()
            defer { [deadConnection, liveConnection].forEach { $0.close() } }
            let dead = StreamConsumerGroup(connection: deadConnection, stream: stream, group: "g", consumer: "dead",
                                           blockTimeout: .milliseconds(200), batchSize: 3)
            let live = StreamConsumerGroup(connection: liveConnection, stream: stream, group: "g", consumer: "live",
                                           blockTimeout: .milliseconds(200))
            try await dead.ensureCreated()
            let ids = try await publish(1...5, to: stream, with: StreamPublisher(connection: liveConnection))

            var iterator = dead.entries.makeAsyncIterator()
            var taken: [StreamEntryID] = []
            for _ in 0..<3 { taken.append(try #require(try await next(&iterator)).id) }
            #expect(taken == Array(ids[0..<3]))
            deadConnection.close()  // dies without acknowledging

            // Not idle long enough yet: nothing moves.
            #expect(try await live.reclaimStale(minIdle: .seconds(3600)).isEmpty)

            var reclaimed: [StreamEntry] = []
            try await waitUntil("the dead consumer's entries to become stale") {
                reclaimed += try await live.reclaimStale(minIdle: .milliseconds(200), count: 2)
                return reclaimed.count >= 3
            }
            #expect(reclaimed.map(\.id) == taken)
            #expect(reclaimed.map { $0.fields["n"] } == ["1", "2", "3"])
            #expect(try await live.pending().map(\.id) == taken)
            #expect(try await live.acknowledge(taken) == 3)

            // The live consumer still gets the rest as new entries.
            var liveEntries = live.entries.makeAsyncIterator()
            #expect(try await next(&liveEntries)?.id == ids[3])
            #expect(try await next(&liveEntries)?.id == ids[4])
            try await live.acknowledge(Array(ids[3...]))
            #expect(try await live.pendingCount() == 0)
        }
    }

    @Test func noEntryLostAcrossARedisRestart() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let publisherConnection = server.connect()
            let consumerConnection = server.connect()
            defer { [publisherConnection, consumerConnection].forEach { $0.close() } }
            let publisher = StreamPublisher(connection: publisherConnection)
            let group = StreamConsumerGroup(connection: consumerConnection, stream: stream, group: "g",
                                            consumer: "c1", blockTimeout: .seconds(2), batchSize: 10)
            try await group.ensureCreated()
            let before = try await publish(1...4, to: stream, with: publisher)

            var iterator = group.entries.makeAsyncIterator()
            var delivered: [StreamEntryID] = []
            for _ in 0..<4 { delivered.append(try #require(try await next(&iterator)).id) }
            #expect(delivered == before)
            // Handled 1 and 2; 3 and 4 were read but not acknowledged when Redis goes down.
            #expect(try await group.acknowledge(Array(before[0..<2])) == 2)

            try await server.restart()
            let after = try await publish(5...6, to: stream, with: publisher)

            var redelivered: [StreamEntryID] = []
            for _ in 0..<4 {
                let entry = try #require(try await next(&iterator))
                redelivered.append(entry.id)
                try await group.acknowledge([entry.id])
            }
            #expect(redelivered == Array(before[2...]) + after)
            #expect(try await group.pendingCount() == 0)

            // Second round: Redis restarts while the consumer is blocked in `XREADGROUP … >`, and an entry it read
            // just before is still unacknowledged.
            let late = try await publish(7...7, to: stream, with: publisher)
            let unacked = try #require(try await next(&iterator))
            #expect(unacked.id == late[0])
            let consumerTask = Task { [iterator] in
                try await withTimeout(.seconds(20), "entries after the second restart") {
                    var iterator = iterator
                    var ids: [StreamEntryID] = []
                    while ids.count < 2, let entry = try await iterator.next() { ids.append(entry.id) }
                    return ids
                }
            }
            try await waitUntil("the consumer to block") {
                (try await publisherConnection.send(["INFO", "clients"]).string ?? "").contains("blocked_clients:1")
            }
            try await server.restart()
            let last = try await publish(8...8, to: stream, with: publisher)
            #expect(try await consumerTask.value == [late[0], last[0]])
        }
    }

    @Test func aRestartedConsumerFirstRereadsItsPendingEntries() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let connection = server.connect()
            defer { connection.close() }
            let group = StreamConsumerGroup(connection: connection, stream: stream, group: "g", consumer: "c",
                                            blockTimeout: .milliseconds(300))
            try await group.ensureCreated(startingAt: .beginning)
            let ids = try await publish(1...3, to: stream, with: StreamPublisher(connection: connection))
            var first = group.entries.makeAsyncIterator()
            #expect(try await next(&first)?.id == ids[0])
            #expect(try await next(&first)?.id == ids[1])
            try await group.acknowledge([ids[0]])

            // A new process with the same consumer name: 2 and 3 were read by the old one, 2 still unacked.
            let pending = try await group.pending()
            #expect(pending.map(\.id) == [ids[1], ids[2]])
            var second = group.entries.makeAsyncIterator()
            #expect(try await next(&second)?.id == ids[1])
            #expect(try await next(&second)?.id == ids[2])
            try await group.acknowledge([ids[1], ids[2]])
            #expect(try await group.pending().isEmpty)
        }
    }

    @Test func consumerServiceHandlesAndAcknowledges() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let serviceConnection = server.connect()
            let connection = server.connect()
            defer { [serviceConnection, connection].forEach { $0.close() } }
            let group = StreamConsumerGroup(connection: serviceConnection, stream: stream, group: "push",
                                            consumer: "push-1", blockTimeout: .milliseconds(300))
            let handled = Collector()
            let service = StreamConsumerService(group: group, createGroupAt: .beginning, logger: testLogger) { entry in
                if entry.fields["n"] == "3", await handled.entries.allSatisfy({ $0.fields["n"] != "3" }) {
                    await handled.append(entry)
                    throw ConditionTimeout(description: "handler failure stays pending")
                }
                await handled.append(entry)
            }
            let serviceGroup = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: testLogger)
            let running = Task { try await serviceGroup.run() }
            let ids = try await publish(1...5, to: stream, with: StreamPublisher(connection: connection))
            try await waitUntil("the service to handle 5 entries") { await handled.count >= 5 }
            let checker = StreamConsumerGroup(connection: connection, stream: stream, group: "push", consumer: "x")
            try await waitUntil("acknowledgements") { try await checker.pendingCount() == 1 }
            let stuck = try await connection.send(["XPENDING", stream.key, "push", "-", "+", "10"])
            #expect(stuck.description.contains(ids[2].description))
            await serviceGroup.triggerGracefulShutdown()
            try await running.value
        }
    }

    @Test func healthMonitorTracksRedis() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect(reconnectTimeout: .milliseconds(200))
            defer { connection.close() }
            let monitor = RedisHealthMonitor(connection: connection, logger: testLogger)
            try await monitor.check()
            #expect(monitor.isHealthy)
            await server.stop()
            await #expect(throws: RedisError.self) { try await monitor.check() }
            #expect(!monitor.isHealthy)
            try await server.restart()
            try await monitor.check()
            #expect(monitor.isHealthy)
        }
    }
}
