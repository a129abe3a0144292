@testable import Homeserver
import Testing

@Suite("Read coalescer")
struct ReadCoalescerTests {
    /// Counts the reads made, numbering each.
    actor Reads {
        private(set) var count = 0

        func next() -> Int {
            count += 1
            return count
        }
    }

    struct ReadFailed: Error {}

    @Test("the callers of one wake share a read after it is done; callers of an older wake or of none read anew")
    func sharedWithinAWake() async throws {
        let coalescer = ReadCoalescer<Int, Int>()
        let reads = Reads()
        func value(_ key: Int, wake: UInt64?) async throws -> Int {
            try await coalescer.value(for: key, wake: wake) { await reads.next() }
        }
        #expect(try await value(0, wake: 1) == 1)
        #expect(try await value(0, wake: 1) == 1)
        // Without a wake, only a read in flight is shared.
        #expect(try await value(0, wake: nil) == 2)
        #expect(try await value(0, wake: 2) == 3)
        #expect(try await value(0, wake: 2) == 3)
        // Wake 1's reads were dropped when wake 2 came.
        #expect(try await value(0, wake: 1) == 4)
        #expect(try await value(1, wake: 2) == 5)
        #expect(await reads.count == 5)
    }

    @Test("a failed read is not kept for its wake")
    func failureNotKept() async throws {
        let coalescer = ReadCoalescer<Int, Int>()
        await #expect(throws: ReadFailed.self) {
            try await coalescer.value(for: 0, wake: 1) { throw ReadFailed() }
        }
        #expect(try await coalescer.value(for: 0, wake: 1) { 7 } == 7)
        #expect(try await coalescer.value(for: 0, wake: 1) { 8 } == 7)
    }
}
