import Synchronization

/// Shares one read among concurrent callers asking for the same thing.
///
/// When a message wakes thousands of long-polls of one room at once, they all read the same
/// stream heads and the same new events of the room: the first caller's read serves every
/// caller that asks for the same key while it is in flight. Nothing is kept afterwards, so no
/// caller ever gets a value read before it asked by more than the read in flight.
///
/// The reads in flight live behind a lock rather than in an actor, so that thousands of callers
/// arriving at once do not queue on one executor just to find the read they share.
final class ReadCoalescer<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let inFlight = Mutex<[Key: Task<Value, any Error>]>([:])

    /// The value of `key`: the read in flight for it, or a new one by `read`.
    func value(for key: Key, _ read: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = inFlight.withLock { inFlight in
            if let task = inFlight[key] { return task }
            // The read forgets itself when done; it cannot before it is recorded, as that takes this lock.
            let task = Task {
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: key) } }
                return try await read()
            }
            inFlight[key] = task
            return task
        }
        return try await task.value
    }
}
