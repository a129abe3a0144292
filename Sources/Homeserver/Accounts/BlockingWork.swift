import Dispatch

/// Runs CPU-heavy synchronous work (password hashing) on a Dispatch thread, so it never
/// blocks the event loops or the Swift concurrency pool.
enum BlockingWork {
    static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Swift.Result { try work() })
            }
        }
    }
}
