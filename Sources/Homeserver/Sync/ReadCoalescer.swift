import Synchronization

/// Shares one read among concurrent callers asking for the same thing.
///
/// When a message wakes thousands of long-polls of one room at once, they all read the same
/// stream heads and the same new events of the room: the first caller's read serves every
/// caller that asks for the same key while it is in flight. Callers woken by the same wake of
/// the ``SyncNotifier`` share it after it is done as well, until a later wake: their values
/// were all read after the change that woke them. Otherwise nothing is kept, so no caller ever
/// gets a value read before it asked by more than the read in flight.
///
/// The reads live behind a lock rather than in an actor, so that thousands of callers
/// arriving at once do not queue on one executor just to find the read they share.
final class ReadCoalescer<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var inFlight: [Key: Task<Value, any Error>] = [:]
        /// The latest wake that a woken caller asked for, and the reads made for its callers.
        var wake: UInt64 = 0
        var ofWake: [Key: Task<Value, any Error>] = [:]
    }

    private let state = Mutex(State())

    /// The value of `key`: the read in flight for it, or the one made for `wake` (the wake that
    /// ended the caller's wait, if any), or a new one by `read`.
    func value(
        for key: Key, wake: UInt64? = nil, _ read: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let task = state.withLock { state in
            if let wake, wake > state.wake {
                state.wake = wake
                state.ofWake = [:]
            }
            let keptFor = wake == state.wake ? wake : nil
            if keptFor != nil, let task = state.ofWake[key] { return task }
            if let task = state.inFlight[key] { return task }
            // The read forgets itself when done, and its wake forgets it if it failed; it cannot
            // before it is recorded, as that takes this lock.
            let task = Task {
                defer { _ = self.state.withLock { $0.inFlight.removeValue(forKey: key) } }
                do {
                    return try await read()
                } catch {
                    self.state.withLock { state in
                        if state.wake == keptFor { state.ofWake[key] = nil }
                    }
                    throw error
                }
            }
            state.inFlight[key] = task
            if keptFor != nil { state.ofWake[key] = task }
            return task
        }
        return try await task.value
    }
}
