import Synchronization

/// Shares one read among the callers asking for the same thing.
///
/// When a message wakes thousands of long-polls of one room at once, they all read the same
/// stream heads and the same new events of the room: one read serves them all.
///
/// Each read is tagged with the newest wake of the ``SyncNotifier`` that a caller had brought to
/// the coalescer when the read began. That wake had fired, so the read sees the change behind
/// it and every earlier one. A caller woken by wake `w` is served by any read tagged `w` or
/// later, in flight or done within `retention`, so a wake's long-polls keep sharing its reads
/// while later wakes (typing elsewhere, other rooms) come and go. A caller that no wake ended
/// (a new request, or one whose wait timed out) shares only a read in flight, as nothing tells
/// which of the done reads began after the change it looks for. Failed reads are not kept.
///
/// The reads live behind a lock rather than in an actor, so that thousands of callers
/// arriving at once do not queue on one executor just to find the read they share.
final class ReadCoalescer<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One read of a key.
    private struct Read {
        var number: UInt64
        var task: Task<Value, any Error>
        /// The newest wake a caller had brought when the read began (0 for none).
        var wake: UInt64
        /// When the read finished; `nil` while in flight.
        var finished: ContinuousClock.Instant?

        func serves(_ callerWake: UInt64?, at now: ContinuousClock.Instant, retention: Duration) -> Bool {
            guard let callerWake else { return finished == nil }
            return wake >= callerWake && finished.map { now - $0 < retention } ?? true
        }
    }

    private struct State {
        var reads: [Key: Read] = [:]
        var newestWake: UInt64 = 0
        var readsStarted: UInt64 = 0
        var callersServed: UInt64 = 0
        var lastSweep = ContinuousClock.now

        /// Forgets the reads that finished more than `retention` ago, at most once per `retention`.
        mutating func sweep(at now: ContinuousClock.Instant, retention: Duration) {
            guard now - lastSweep >= retention else { return }
            lastSweep = now
            reads = reads.filter { _, read in read.finished.map { now - $0 < retention } ?? true }
        }
    }

    private let state = Mutex(State())
    private let retention: Duration

    /// How many callers a read begun for another caller served.
    var callersServed: UInt64 { state.withLock(\.callersServed) }

    /// `retention` is how long a finished read keeps serving the callers of its wake.
    init(retention: Duration = .seconds(2)) {
        self.retention = retention
    }

    /// The value of `key` for a caller whose wait the notifier's `wake` ended (`nil` if none): a
    /// read that serves the caller, or a new one by `read`.
    func value(
        for key: Key, wake: UInt64? = nil, _ read: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let task = state.withLock { state in
            let now = ContinuousClock.now
            if let current = state.reads[key], current.serves(wake, at: now, retention: retention) {
                state.callersServed += 1
                return current.task
            }
            state.sweep(at: now, retention: retention)
            state.newestWake = max(state.newestWake, wake ?? 0)
            state.readsStarted += 1
            let number = state.readsStarted
            // The read records its end only after this records it, as both take the lock, and
            // only while no newer read of the key replaced it.
            let task = Task {
                let result: Result<Value, any Error>
                do { result = .success(try await read()) } catch { result = .failure(error) }
                self.state.withLock { state in
                    guard state.reads[key]?.number == number else { return }
                    if case .success = result {
                        state.reads[key]?.finished = .now
                    } else {
                        state.reads[key] = nil
                    }
                }
                return try result.get()
            }
            state.reads[key] = Read(number: number, task: task, wake: state.newestWake, finished: nil)
            return task
        }
        return try await task.value
    }
}
