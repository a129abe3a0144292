/// Runs `operation`; after `limit` it is cancelled and this throws `timeoutError()` instead.
///
/// For waits that must end even when the other side never answers (a probe of a database that
/// is down, a request to a server that stalls).
public func withDeadline<Result: Sendable>(
    _ limit: Duration,
    orThrow timeoutError: @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw timeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
