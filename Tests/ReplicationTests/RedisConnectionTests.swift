import Foundation
import HomeserverTesting
import Replication
import Testing

@Suite("RedisConnection")
struct RedisConnectionTests {
    @Test func binaryDataRoundTrips() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            defer { connection.close() }
            let key = Array("bin\u{0}key\r\n".utf8)
            let value: [UInt8] = Array(0...255) + Array("\r\n$-1\r\n*0\r\n".utf8) + [0, 0, 0]
            #expect(try await connection.send([Array("SET".utf8), key, value]) == .status("OK"))
            #expect(try await connection.send([Array("GET".utf8), key]) == .bulkString(value))
            #expect(try await connection.send(["STRLEN", "bin\u{0}key\r\n"]) == .integer(value.count))
            #expect(try await connection.send(["SET", "empty", ""]) == .status("OK"))
            #expect(try await connection.send(["GET", "empty"]) == .bulkString([]))
        }
    }

    @Test func nilAndArrayReplies() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            defer { connection.close() }
            #expect(try await connection.send(["GET", "missing"]) == .null)
            #expect(try await connection.send(["RPUSH", "list", "a", "b"]) == .integer(2))
            #expect(try await connection.send(["LRANGE", "list", "0", "-1"])
                == .array([.bulkString(Array("a".utf8)), .bulkString(Array("b".utf8))]))
            #expect(try await connection.send(["LRANGE", "missing", "0", "-1"]) == .array([]))
            #expect(try await connection.send(["MGET", "list", "missing"]) != .null)
            #expect(try await connection.send(["MGET", "nothing", "missing"]) == .array([.null, .null]))
            // A blocking read that times out answers with a null array.
            #expect(try await connection.send(["XREAD", "BLOCK", "10", "STREAMS", "nostream", "0-0"]) == .null)
        }
    }

    @Test func errorRepliesAreThrown() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            defer { connection.close() }
            try await connection.send(["SET", "text", "hello"])
            let error = try await #require(throws: RedisError.self) {
                try await connection.send(["INCR", "text"])
            }
            #expect(error.code == .server)
            #expect(error.serverErrorPrefix == "ERR")
            let wrongType = try await #require(throws: RedisError.self) {
                try await connection.send(["LPUSH", "text", "x"])
            }
            #expect(wrongType.serverErrorPrefix == "WRONGTYPE")
            await #expect(throws: RedisError.self) { try await connection.send(["NOSUCHCOMMAND"]) }

            // Errors nested in an array are values, not thrown.
            try await connection.send(["MULTI"])
            try await connection.send(["SET", "n", "1"])
            try await connection.send(["INCR", "text"])
            let exec = try await connection.send(["EXEC"])
            let results = try #require(exec.array)
            #expect(results.count == 2)
            #expect(results[0] == .status("OK"))
            guard case .error(let message) = results[1] else {
                Issue.record("expected a nested error, got \(results[1])")
                return
            }
            #expect(message.hasPrefix("ERR"))

            // The connection is still usable after error replies.
            try await connection.ping()
        }
    }

    @Test func passwordAndDatabase() async throws {
        try await withRedisServer(password: "s3cret pass") { (server: RedisServerProcess) async throws in
            let db3 = RedisConnection(configuration: server.configuration(database: 3), logger: testLogger)
            defer { db3.close() }
            try await db3.send(["SET", "where", "three"])
            let db0 = server.connect()
            defer { db0.close() }
            #expect(try await db0.send(["GET", "where"]) == .null)
            #expect(try await db3.send(["GET", "where"]) == .bulkString(Array("three".utf8)))

            let wrong = RedisConnection(configuration: server.configuration(password: "nope"), logger: testLogger)
            defer { wrong.close() }
            let error = try await #require(throws: RedisError.self) { try await wrong.ping() }
            #expect(error.code == .server)
        }
    }

    @Test func reconnectsAfterRestart() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            defer { connection.close() }
            try await connection.send(["SET", "kept", "yes"])
            let generation = connection.connectionGeneration
            #expect(generation == 1)

            try await server.restart()
            // A read is retried transparently; the append-only file kept the data.
            #expect(try await connection.send(["GET", "kept"]) == .bulkString(Array("yes".utf8)))
            #expect(connection.connectionGeneration == generation + 1)

            try await server.restart()
            // A non-retried write also succeeds: the closed link is noticed before sending.
            let publisher = StreamPublisher(connection: connection)
            let id = try await publisher.publish(uniqueStream(), fields: ["a": "b"])
            #expect(id > .zero)
            try await connection.ping()
        }
    }

    @Test func failsClearlyWhileRedisIsDownThenRecovers() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect(reconnectTimeout: .milliseconds(300))
            defer { connection.close() }
            try await connection.ping()
            await server.stop()
            let error = try await #require(throws: RedisError.self) { try await connection.send(["GET", "x"]) }
            #expect(error.code == .connectionFailed)
            #expect(error.isConnectionError)
            try await server.restart()
            try await connection.ping()
        }
    }

    @Test func cancellationInterruptsABlockingCommand() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            defer { connection.close() }
            try await connection.ping()
            let task = Task {
                // Without the interruption this would end after 30 s with a nil reply, not CancellationError.
                try await connection.send(["XREAD", "BLOCK", "30000", "STREAMS", "idle", "$"], timeout: .seconds(60))
            }
            // Wait until the XREAD is actually blocked in Redis.
            let observer = server.connect()
            defer { observer.close() }
            try await waitUntil("the XREAD to block") {
                let info = try await observer.send(["INFO", "clients"]).string ?? ""
                return info.contains("blocked_clients:1")
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // The connection reconnects for the next command.
            try await connection.ping()
        }
    }

    @Test func closeFailsLaterCommands() async throws {
        try await withRedisServer { (server: RedisServerProcess) async throws in
            let connection = server.connect()
            try await connection.ping()
            connection.close()
            let error = try await #require(throws: RedisError.self) { try await connection.ping() }
            #expect(error.code == .closed)
        }
    }

    @Test func retryClassification() {
        func retried(_ arguments: [String]) -> Bool {
            RedisConnection.isRetriedOnReconnect(arguments.map { Array($0.utf8) })
        }
        #expect(retried(["PING"]))
        #expect(retried(["xread", "BLOCK", "1", "STREAMS", "s", "0-0"]))
        #expect(retried(["XACK", "s", "g", "1-0"]))
        #expect(retried(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"]))
        #expect(!retried(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]))
        #expect(!retried(["XADD", "s", "*", "a", "b"]))
        #expect(!retried(["XAUTOCLAIM", "s", "g", "c", "10", "0-0"]))
        #expect(!retried(["INCR", "n"]))
    }
}

@Suite("Stream types")
struct StreamTypeTests {
    @Test func entryIDs() throws {
        let id = try #require(StreamEntryID("1700000000000-5"))
        #expect(id.milliseconds == 1_700_000_000_000)
        #expect(id.sequence == 5)
        #expect(id.description == "1700000000000-5")
        #expect(StreamEntryID("1-0")! < StreamEntryID("1-1")!)
        #expect(StreamEntryID("1-99")! < StreamEntryID("2-0")!)
        #expect(StreamEntryID("5") == nil)
        #expect(StreamEntryID("a-1") == nil)
        #expect(StreamEntryID("1-2-3") == nil)
        #expect(StreamEntryID("-1") == nil)
        #expect(StreamEntryID.zero.description == "0-0")
    }

    @Test func streamNames() {
        #expect(StreamName.events.key == "trellis:stream:events")
        #expect(StreamName.toDevice.key == "trellis:stream:to_device")
        #expect(StreamName(topic: "x").key == "trellis:stream:x")
        #expect(Set([StreamName.events, .receipts, .typing, .toDevice, .deviceLists, .accountData,
                     .federationOut, .push].map(\.key)).count == 8)
    }
}
