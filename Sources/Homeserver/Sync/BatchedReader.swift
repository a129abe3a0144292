import DequeModule
import Synchronization

/// Reads many keys in one round trip: the keys that callers ask for while reads are running are
/// gathered and read together by the next one.
///
/// When a message wakes thousands of long-polls at once, each needs its own user's memberships,
/// key counts and unread counts. Asked one by one, that is thousands of queries; through a
/// batched reader it is a handful, each for the keys asked in the meantime. A caller alone
/// waits for nothing but its own read, so a quiet server answers as fast as before.
///
/// A read takes at most ``maximumBatch`` keys and at most ``maximumConcurrentReads`` run at
/// once, so that a burst flows through in a pipeline: the first callers go on with their
/// values while the database reads for the later ones, instead of every caller waiting for one
/// read of them all. The waiting keys live behind a lock rather than in an actor, so that a
/// burst of callers does not queue on one executor just to hand over its keys.
final class BatchedReader<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Reads the values of the keys; a key missing from the answer gets `absent`.
    private let read: @Sendable ([Key]) async throws -> [Key: Value]
    private let absent: Value
    let maximumBatch: Int
    let maximumConcurrentReads: Int
    private let state = Mutex(State())

    /// A caller's wait for the value of its key.
    private typealias Caller = UnsafeContinuation<Value, any Error>

    /// The keys waiting for a read, in the order they were first asked for, the callers of each,
    /// and the reads running. A caller is queued and taken in amortized constant time, so that a burst
    /// of thousands does not cost a scan of every waiting caller per batch.
    private struct State {
        var keys = Deque<Key>()
        var callers: [Key: [Caller]] = [:]
        var readsRunning = 0

        mutating func add(_ caller: Caller, for key: Key) {
            if callers[key]?.append(caller) == nil {
                callers[key] = [caller]
                keys.append(key)
            }
        }

        /// Takes up to `limit` of the longest-waiting keys with all their callers.
        mutating func takeBatch(limit: Int) -> [(key: Key, callers: [Caller])] {
            var batch: [(key: Key, callers: [Caller])] = []
            batch.reserveCapacity(min(limit, keys.count))
            while batch.count < limit, let key = keys.popFirst() {
                // Every queued key has callers: `add` queues a key with its first one.
                batch.append((key, callers.removeValue(forKey: key) ?? []))
            }
            return batch
        }
    }

    init(
        absent: Value, maximumBatch: Int = 500, maximumConcurrentReads: Int = 4,
        read: @escaping @Sendable ([Key]) async throws -> [Key: Value]
    ) {
        precondition(maximumBatch > 0 && maximumConcurrentReads > 0)
        self.absent = absent
        self.maximumBatch = maximumBatch
        self.maximumConcurrentReads = maximumConcurrentReads
        self.read = read
    }

    /// How many distinct keys wait for a read.
    var waitingKeys: Int { state.withLock { $0.keys.count } }

    /// How many callers wait for a read (counted key by key: for tests).
    var waitingCallers: Int { state.withLock { $0.callers.values.reduce(0) { $0 + $1.count } } }

    /// The value of `key`, from the next read that takes it.
    func value(for key: Key) async throws -> Value {
        try await withUnsafeThrowingContinuation { continuation in
            let startsReading = state.withLock { state in
                state.add(continuation, for: key)
                guard state.readsRunning < maximumConcurrentReads else { return false }
                state.readsRunning += 1
                return true
            }
            if startsReading { Task { await readWhileWaiting() } }
        }
    }

    /// Reads batches of the waiting keys until none wait.
    private func readWhileWaiting() async {
        while let batch = nextBatch() {
            do {
                let values = try await read(batch.map(\.key))
                for (key, callers) in batch {
                    let value = values[key] ?? absent
                    for caller in callers { caller.resume(returning: value) }
                }
            } catch {
                for caller in batch.flatMap(\.callers) { caller.resume(throwing: error) }
            }
        }
    }

    /// The next batch to read, or `nil` (and one reader fewer) when no key waits.
    private func nextBatch() -> [(key: Key, callers: [Caller])]? {
        state.withLock { state in
            guard !state.keys.isEmpty else {
                state.readsRunning -= 1
                return nil
            }
            return state.takeBatch(limit: maximumBatch)
        }
    }
}
