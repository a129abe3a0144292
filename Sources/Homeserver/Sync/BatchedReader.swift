/// Reads many keys in one round trip: the keys that callers ask for while a read is running are
/// gathered and read together by the next one.
///
/// When a message wakes thousands of long-polls at once, each needs its own user's memberships,
/// key counts and unread counts. Asked one by one, that is thousands of queries; through a
/// batched reader it is a handful, each for every key asked in the meantime. A caller alone
/// waits for nothing but its own read, so a quiet server answers as fast as before.
actor BatchedReader<Key: Hashable & Sendable, Value: Sendable> {
    /// Reads the values of the keys; a key missing from the answer gets `absent`.
    private let read: @Sendable ([Key]) async throws -> [Key: Value]
    private let absent: Value
    private var waiting: [Key: [CheckedContinuation<Value, any Error>]] = [:]
    private var isReading = false

    init(absent: Value, read: @escaping @Sendable ([Key]) async throws -> [Key: Value]) {
        self.absent = absent
        self.read = read
    }

    /// How many distinct keys wait for the next read.
    var waitingKeys: Int { waiting.count }

    /// The value of `key`, from the next read.
    func value(for key: Key) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            waiting[key, default: []].append(continuation)
            guard !isReading else { return }
            isReading = true
            Task { await readWhileWaiting() }
        }
    }

    /// Reads the waiting keys, and again for the keys asked for during that read, until none wait.
    private func readWhileWaiting() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = [:]
            do {
                let values = try await read(Array(batch.keys))
                for (key, continuations) in batch {
                    let value = values[key] ?? absent
                    for continuation in continuations { continuation.resume(returning: value) }
                }
            } catch {
                for continuation in batch.values.joined() { continuation.resume(throwing: error) }
            }
        }
        isReading = false
    }
}
