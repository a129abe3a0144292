import Foundation
import HomeserverTesting
import Logging
import Replication
import Testing

let testLogger: Logger = {
    var logger = Logger(label: "trellis.replication.tests")
    logger.logLevel = ProcessInfo.processInfo.environment["TRELLIS_TEST_LOG"] == nil ? .critical : .trace
    return logger
}()

/// Runs `body` against a fresh `redis-server` that is removed afterwards.
func withRedisServer(
    password: String? = nil,
    _ body: (RedisServerProcess) async throws -> Void
) async throws {
    let server = try await RedisServerProcess.start(password: password)
    defer { server.cleanUp() }
    try await body(server)
}

extension RedisServerProcess {
    func configuration(
        password: String? = nil,
        database: Int = 0,
        reconnectTimeout: Duration = .seconds(10)
    ) -> RedisConfiguration {
        RedisConfiguration(host: host, port: port, password: password ?? self.password, database: database,
                           reconnectTimeout: reconnectTimeout)
    }

    func connect(database: Int = 0, reconnectTimeout: Duration = .seconds(10)) -> RedisConnection {
        RedisConnection(configuration: configuration(database: database, reconnectTimeout: reconnectTimeout),
                        logger: testLogger)
    }
}

struct ConditionTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until it holds, failing after `timeout`.
func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(15),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try await !condition() {
        if ContinuousClock.now > deadline { throw ConditionTimeout(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Entries gathered by concurrent readers.
actor Collector {
    private(set) var entries: [StreamEntry] = []

    func append(_ entry: StreamEntry) { entries.append(entry) }
    var count: Int { entries.count }
    var values: [String] { entries.compactMap { $0.fields["n"] } }
}

/// A stream key unique to one test.
func uniqueStream(_ name: String = #function) -> StreamName {
    StreamName(topic: "test-\(name.prefix { $0 != "(" })-\(UUID().uuidString.prefix(8))")
}

/// Publishes entries with field `n` = each value.
@discardableResult
func publish(_ values: some Sequence<Int>, to stream: StreamName, with publisher: StreamPublisher) async throws
    -> [StreamEntryID]
{
    var ids: [StreamEntryID] = []
    for value in values {
        ids.append(try await publisher.publish(stream, fields: ["n": String(value)]))
    }
    return ids
}

/// Runs `body`, failing with ``ConditionTimeout`` if it takes longer than `timeout` (so a broken bus fails the test
/// instead of hanging it).
func withTimeout<T: Sendable>(
    _ timeout: Duration = .seconds(15),
    _ what: String = "an operation",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            do { try await Task.sleep(for: timeout) } catch { return nil }  // cancelled: the body finished first
            throw ConditionTimeout(description: "timed out waiting for \(what)")
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let value = result { return value }
        }
        throw CancellationError()
    }
}

/// `iterator.next()`, failing instead of waiting forever.
func next<Iterator: AsyncIteratorProtocol & Sendable>(
    _ iterator: inout Iterator,
    timeout: Duration = .seconds(15)
) async throws -> Iterator.Element? where Iterator.Element: Sendable {
    let copy = iterator
    let (element, advanced) = try await withTimeout(timeout, "the next entry") {
        var iterator = copy
        let element = try await iterator.next()
        return (element, iterator)
    }
    iterator = advanced
    return element
}
