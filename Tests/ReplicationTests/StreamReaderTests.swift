import Foundation
import HomeserverTesting
import Replication
import Testing

@Suite("Fan-out streams")
struct StreamReaderTests {
    @Test func publishFansOutToTwoReaders() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let publisherConnection = server.connect()
            let publisher = StreamPublisher(connection: publisherConnection)
            let first = Collector(), second = Collector()
            let connections = [server.connect(), server.connect()]
            defer { (connections + [publisherConnection]).forEach { $0.close() } }
            let readers = try await [
                StreamReader.startingNow(connection: connections[0], stream: stream, blockTimeout: .seconds(1)),
                StreamReader.startingNow(connection: connections[1], stream: stream, blockTimeout: .seconds(1),
                                         batchSize: 3),
            ]
            let tasks = zip(readers, [first, second]).map { reader, collector in
                Task {
                    for try await entry in reader { await collector.append(entry) }
                }
            }
            let ids = try await publish(1...20, to: stream, with: publisher)
            try await waitUntil("both readers to see 20 entries") {
                let a = await first.count; let b = await second.count; return a >= 20 && b >= 20
            }
            for collector in [first, second] {
                #expect(await collector.entries.map(\.id) == ids)
                #expect(await collector.values == (1...20).map(String.init))
            }
            tasks.forEach { $0.cancel() }
            for task in tasks { try await task.value }  // ends cleanly, without throwing
        }
    }

    @Test func readersStartWhereTheyAreTold() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let connection = server.connect()
            defer { connection.close() }
            let publisher = StreamPublisher(connection: connection)
            let ids = try await publish(1...3, to: stream, with: publisher)

            // From an explicit position.
            var fromSecond = StreamReader(connection: connection, stream: stream, after: ids[0]).makeAsyncIterator()
            #expect(try await next(&fromSecond)?.fields == ["n": "2"])
            #expect(try await next(&fromSecond)?.fields == ["n": "3"])

            // `startingNow` skips what is already there.
            let readerConnection = server.connect()
            defer { readerConnection.close() }
            let now = try await StreamReader.startingNow(connection: readerConnection, stream: stream,
                                                         blockTimeout: .milliseconds(200))
            #expect(now.position == ids[2])
            try await publish(4...4, to: stream, with: publisher)
            var iterator = now.makeAsyncIterator()
            #expect(try await next(&iterator)?.fields == ["n": "4"])
        }
    }

    @Test func maxLengthTrimsTheStream() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let connection = server.connect()
            defer { connection.close() }
            let publisher = StreamPublisher(connection: connection, maxLength: 100)
            try await publish(1...1_000, to: stream, with: publisher)
            let length = try #require(try await connection.send(["XLEN", stream.key]).integer)
            // `MAXLEN ~` trims whole macro nodes (100 entries each by default).
            #expect(length >= 100)
            #expect(length < 300)
            // The newest entries are the ones kept.
            let newest = try await connection.send(["XREVRANGE", stream.key, "+", "-", "COUNT", "1"])
            #expect(newest.description.contains("\"1000\""))

            let unbounded = StreamPublisher(connection: connection, maxLength: 10_000)
            let other = uniqueStream("other")
            try await publish(1...300, to: other, with: unbounded)
            #expect(try await connection.send(["XLEN", other.key]) == .integer(300))
        }
    }

    @Test func readerResumesFromItsPositionAcrossARestart() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let stream = uniqueStream()
            let publisherConnection = server.connect()
            let readerConnection = server.connect()
            defer { [publisherConnection, readerConnection].forEach { $0.close() } }
            let publisher = StreamPublisher(connection: publisherConnection)
            let collector = Collector()
            let reader = StreamReader(connection: readerConnection, stream: stream, after: .zero,
                                      blockTimeout: .seconds(2), batchSize: 2)
            let task = Task {
                for try await entry in reader { await collector.append(entry) }
            }
            try await publish(1...5, to: stream, with: publisher)
            try await waitUntil("the first 5 entries") { await collector.count >= 5 }
            // The reader is now blocked in XREAD; restart Redis under it.
            try await server.restart()
            try await publish(6...10, to: stream, with: publisher)
            try await waitUntil("entries published after the restart") { await collector.count >= 10 }
            task.cancel()
            try await task.value
            #expect(await collector.values == (1...10).map(String.init))
            #expect(readerConnection.connectionGeneration >= 2)
        }
    }

    @Test func readerEndsPromptlyOnCancellation() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            defer { connection.close() }
            let reader = StreamReader(connection: connection, stream: uniqueStream(), after: nil,
                                      blockTimeout: .seconds(60))
            let finished = Collector()
            let task = Task {
                for try await entry in reader { await finished.append(entry) }
                return "ended"
            }
            let observer = server.connect()
            defer { observer.close() }
            try await waitUntil("the reader to block") {
                (try await observer.send(["INFO", "clients"]).string ?? "").contains("blocked_clients:1")
            }
            task.cancel()
            // Redis releases the blocked read well before its 60 s block timeout only if the reader
            // interrupted it on cancellation.
            try await waitUntil("the reader to stop blocking") {
                (try await observer.send(["INFO", "clients"]).string ?? "").contains("blocked_clients:0")
            }
            #expect(try await task.value == "ended")
        }
    }
}
