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

    /// Holds a read until the test opens it, and tells the test when the read began.
    actor Gate {
        private var hasBegun = false
        private var isOpen = false
        private var held: [CheckedContinuation<Void, Never>] = []

        func pass() async {
            hasBegun = true
            if !isOpen { await withCheckedContinuation { held.append($0) } }
        }

        func untilBegun() async {
            while !hasBegun { await Task.yield() }
        }

        func open() {
            isOpen = true
            for continuation in held { continuation.resume() }
            held = []
        }
    }

    struct ReadFailed: Error {}

    @Test("a done read serves the callers of its wake and older ones, never a caller without a wake")
    func doneReadsServeTheirWake() async throws {
        let coalescer = ReadCoalescer<Int, Int>()
        let reads = Reads()
        func value(_ key: Int, wake: UInt64?) async throws -> Int {
            try await coalescer.value(for: key, wake: wake) { await reads.next() }
        }
        #expect(try await value(0, wake: 1) == 1)
        #expect(try await value(0, wake: 1) == 1)
        #expect(try await value(0, wake: nil) == 2)
        // That read began after wake 1 had come, so it serves wake 1's callers.
        #expect(try await value(0, wake: 1) == 2)
        #expect(try await value(0, wake: 2) == 3)
        #expect(try await value(0, wake: 1) == 3)
        // A newer wake of another key leaves this key's read alone.
        #expect(try await value(1, wake: 3) == 4)
        #expect(try await value(0, wake: 2) == 3)
        #expect(try await value(0, wake: 3) == 5)
        #expect(await reads.count == 5)
    }

    @Test("callers join a read in flight, except a caller of a newer wake, whose read the older one does not replace")
    func readsInFlight() async throws {
        let coalescer = ReadCoalescer<Int, Int>()
        let reads = Reads()
        let gate = Gate()
        func held(wake: UInt64?) -> Task<Int, any Error> {
            Task {
                try await coalescer.value(for: 0, wake: wake) {
                    await gate.pass()
                    return await reads.next()
                }
            }
        }
        let first = held(wake: 1)
        await gate.untilBegun()
        let joiners = [held(wake: nil), held(wake: 1)]
        while coalescer.callersServed < 2 { await Task.yield() }
        // Wake 2 came after the held read began: its caller reads anew.
        #expect(try await coalescer.value(for: 0, wake: 2) { await reads.next() } == 1)
        await gate.open()
        #expect(try await first.value == 2)
        for joiner in joiners { #expect(try await joiner.value == 2) }
        #expect(try await coalescer.value(for: 0, wake: 2) { await reads.next() } == 1)
        #expect(try await coalescer.value(for: 0, wake: 1) { await reads.next() } == 1)
        #expect(await reads.count == 2)
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

    @Test("a done read serves no one once its retention has passed")
    func retention() async throws {
        let coalescer = ReadCoalescer<Int, Int>(retention: .zero)
        #expect(try await coalescer.value(for: 0, wake: 1) { 1 } == 1)
        #expect(try await coalescer.value(for: 0, wake: 1) { 2 } == 2)
    }
}
