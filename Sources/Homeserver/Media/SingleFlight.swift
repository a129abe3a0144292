/// Runs one piece of work per key at a time: callers that ask for a key already being worked on
/// wait for that work's result instead of repeating it (a thumbnail many clients ask for at
/// once, a remote file many rooms show).
actor SingleFlight<Key: Hashable & Sendable, Value: Sendable> {
    private var running: [Key: Task<Value, any Error>] = [:]

    func run(_ key: Key, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task = running[key] { return try await task.value }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
