/// Shares one read among concurrent callers asking for the same thing.
///
/// When a message wakes thousands of long-polls of one room at once, they all read the same
/// stream heads and the same new events of the room: the first caller's read serves every
/// caller that asks for the same key while it is in flight. Nothing is kept afterwards, so no
/// caller ever gets a value read before it asked by more than the read in flight.
actor ReadCoalescer<Key: Hashable & Sendable, Value: Sendable> {
    private var inFlight: [Key: Task<Value, any Error>] = [:]

    /// The value of `key`: the read in flight for it, or a new one by `read`.
    func value(for key: Key, _ read: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task = inFlight[key] { return try await task.value }
        let task = Task { try await read() }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        return try await task.value
    }
}
