/// Retries `body` until it succeeds or `limit` has passed, then rethrows its last error.
///
/// For waiting on a condition that becomes true asynchronously (a server coming back, a
/// message arriving) without guessing a fixed sleep.
public func eventually<Result>(
    within limit: Duration,
    pollInterval: Duration = .milliseconds(100),
    _ body: () async throws -> Result
) async throws -> Result {
    let deadline = ContinuousClock.now + limit
    while true {
        do {
            return try await body()
        } catch {
            if ContinuousClock.now > deadline { throw error }
            try await Task.sleep(for: pollInterval)
        }
    }
}
