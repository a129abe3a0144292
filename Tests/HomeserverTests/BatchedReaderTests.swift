@testable import Homeserver
import Testing

@Suite("Batched reads")
struct BatchedReaderTests {
    struct ReadFailed: Error {}

    /// Holds the first read (or every read, with `holdsEveryRead`) until the test opens the gate,
    /// and records every read's keys and how many reads ran at once.
    actor Recorder {
        var batches: [Set<Int>] = []
        var gates: [CheckedContinuation<Void, Never>] = []
        var isGateOpen = false
        var failNext = false
        var running = 0
        var mostRunning = 0
        let holdsEveryRead: Bool

        init(holdsEveryRead: Bool = false) { self.holdsEveryRead = holdsEveryRead }

        func read(_ keys: [Int]) async throws -> [Int: String] {
            batches.append(Set(keys))
            running += 1
            mostRunning = max(mostRunning, running)
            defer { running -= 1 }
            if (batches.count == 1 || holdsEveryRead) && !isGateOpen { await withCheckedContinuation { gates.append($0) } }
            if failNext {
                failNext = false
                throw ReadFailed()
            }
            // Odd keys have no value: they get the reader's `absent` value.
            return Dictionary(uniqueKeysWithValues: keys.filter { $0 % 2 == 0 }.map { ($0, "v\($0)") })
        }

        /// How many keys the reads so far took.
        var keysRead: Int { batches.map(\.count).reduce(0, +) }

        func open() {
            isGateOpen = true
            for gate in gates { gate.resume() }
            gates = []
        }

        func failNextRead() { failNext = true }
    }

    /// Asks `reader` for each of `keys` in turn while `recorder` holds its first read, each caller
    /// waiting before the next asks, then opens the gate; each caller's key and value.
    static func values(
        of keys: [Int], from reader: BatchedReader<Int, String>, opening recorder: Recorder
    ) async throws -> [(Int, String)] {
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, key) in keys.enumerated() {
                group.addTask { (key, try await reader.value(for: key)) }
                while reader.waitingCallers <= index { await Task.yield() }
            }
            await recorder.open()
            var values: [(Int, String)] = []
            for try await value in group { values.append(value) }
            return values
        }
    }

    /// Asks for key 0, then, while its read is held, for each of `keys` in turn and again; checks
    /// that every caller gets its key's value, and returns the reader and the keys of each read.
    static func askTwiceWhileReading(_ keys: ClosedRange<Int>, maximumBatch: Int) async throws
        -> (reader: BatchedReader<Int, String>, batches: [Set<Int>]) {
        let recorder = Recorder()
        let reader = BatchedReader<Int, String>(absent: "none", maximumBatch: maximumBatch, maximumConcurrentReads: 1) {
            try await recorder.read($0)
        }
        async let first = reader.value(for: 0)
        while await recorder.batches.isEmpty { await Task.yield() }
        let values = try await Self.values(of: Array(keys) + Array(keys), from: reader, opening: recorder)
        #expect(try await first == "v0")
        #expect(values.count == 2 * keys.count)
        for (key, value) in values { #expect(value == (key % 2 == 0 ? "v\(key)" : "none")) }
        return (reader, await recorder.batches)
    }

    @Test("keys asked while a read runs are read together by the next read, each caller gets its key's value")
    func batchesWhileReading() async throws {
        // 1…50, each asked twice: fifty distinct keys, fewer than a batch holds.
        let (reader, batches) = try await Self.askTwiceWhileReading(1...50, maximumBatch: 500)
        #expect(batches == [[0], Set(1...50)])
        #expect(reader.waitingKeys == 0)
    }

    @Test("a batch takes every caller of its keys, also those who asked after keys the next batch reads")
    func everyCallerOfABatchedKey() async throws {
        // Keys 1…20 asked in order, then all of them again: forty callers, twenty keys.
        let (_, batches) = try await Self.askTwiceWhileReading(1...20, maximumBatch: 10)
        // Each key is read once, in the order first asked.
        #expect(batches == [[0], Set(1...10), Set(11...20)])
    }

    @Test("a failed read fails every caller of its batch, and the next read is a new one")
    func failedReadFailsItsBatch() async throws {
        let recorder = Recorder()
        await recorder.open()
        await recorder.failNextRead()
        let reader = BatchedReader<Int, String>(absent: "none") { try await recorder.read($0) }
        await #expect(throws: ReadFailed.self) { try await reader.value(for: 2) }
        #expect(try await reader.value(for: 2) == "v2")
        #expect(await recorder.batches == [[2], [2]])
    }

    @Test("a burst is read in batches of at most maximumBatch keys, at most maximumConcurrentReads at once")
    func boundedBatchesAndReads() async throws {
        let recorder = Recorder(holdsEveryRead: true)
        let reader = BatchedReader<Int, String>(absent: "none", maximumBatch: 10, maximumConcurrentReads: 2) {
            try await recorder.read($0)
        }
        let values = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for key in 0..<25 { group.addTask { (key, try await reader.value(for: key)) } }
            // Two reads hold their keys; every other key waits for a reader to come free.
            while true {
                let (running, keysRead) = (await recorder.running, await recorder.keysRead)
                if running == 2 && keysRead + reader.waitingKeys == 25 { break }
                await Task.yield()
            }
            await recorder.open()
            var values: [(Int, String)] = []
            for try await value in group { values.append(value) }
            return values
        }
        for (key, value) in values { #expect(value == (key % 2 == 0 ? "v\(key)" : "none")) }
        let batches = await recorder.batches
        #expect(batches.allSatisfy { $0.count <= 10 })
        #expect(batches.map(\.count).reduce(0, +) == 25)
        #expect(batches.reduce(into: Set<Int>()) { $0.formUnion($1) } == Set(0..<25))
        #expect(await recorder.mostRunning == 2)
    }
}
