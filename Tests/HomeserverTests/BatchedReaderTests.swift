@testable import Homeserver
import Testing

@Suite("Batched reads")
struct BatchedReaderTests {
    struct ReadFailed: Error {}

    /// Holds the first read until the test opens it, and records every read's keys.
    actor Recorder {
        var batches: [Set<Int>] = []
        var gate: CheckedContinuation<Void, Never>?
        var isGateOpen = false
        var failNext = false

        func read(_ keys: [Int]) async throws -> [Int: String] {
            batches.append(Set(keys))
            if batches.count == 1 && !isGateOpen { await withCheckedContinuation { gate = $0 } }
            if failNext {
                failNext = false
                throw ReadFailed()
            }
            // Odd keys have no value: they get the reader's `absent` value.
            return Dictionary(uniqueKeysWithValues: keys.filter { $0 % 2 == 0 }.map { ($0, "v\($0)") })
        }

        func open() {
            isGateOpen = true
            gate?.resume()
            gate = nil
        }

        func failNextRead() { failNext = true }
    }

    @Test("keys asked while a read runs are read together by the next read, each caller gets its key's value")
    func batchesWhileReading() async throws {
        let recorder = Recorder()
        let reader = BatchedReader<Int, String>(absent: "none") { try await recorder.read($0) }
        async let first = reader.value(for: 0)
        while await recorder.batches.isEmpty { await Task.yield() }
        let values = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            // 1…50, each asked twice: fifty distinct keys.
            for key in Array(1...50) + Array(1...50) { group.addTask { (key, try await reader.value(for: key)) } }
            while await reader.waitingKeys < 50 { await Task.yield() }
            await recorder.open()
            var values: [(Int, String)] = []
            for try await value in group { values.append(value) }
            return values
        }
        #expect(try await first == "v0")
        #expect(values.count == 100)
        for (key, value) in values { #expect(value == (key % 2 == 0 ? "v\(key)" : "none")) }
        #expect(await recorder.batches == [[0], Set(1...50)])
        #expect(await reader.waitingKeys == 0)
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
}
