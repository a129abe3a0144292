/// Coalesces the events that requests of this process send at the same time.
///
/// Every local event is one transaction holding its room's lock and advancing the events
/// stream's head, so concurrent sends would queue up on those locks one commit after the other.
/// Instead they wait here: one task drains the queue, handing everything that arrived to
/// `process` as one batch, which persists it with one read of each room's tip, one append
/// statement and one commit. When nothing else is being sent, a send is a batch of one and waits
/// for nobody.
///
/// Waiters are resumed in their queue order with their own outcome: one event refused by the
/// auth rules does not fail the others of its batch.
actor SendBatcher<Request: Sendable, Outcome: Sendable> {
    typealias Process = @Sendable ([Request]) async -> [Result<Outcome, any Error>]

    private struct Waiter {
        let request: Request
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    /// The most requests one batch takes; the rest wait for the next.
    let maximumBatchSize: Int
    /// The requests waiting for a batch; `nil` while no batch is under way.
    private var queue: [Waiter]?

    init(maximumBatchSize: Int) {
        precondition(maximumBatchSize > 0, "a batch holds at least one request")
        self.maximumBatchSize = maximumBatchSize
    }

    /// Queues `request` and returns its outcome once a batch has processed it.
    ///
    /// When no batch is under way, starts a task that drains the queue with `process`, which
    /// must return one result per request, in order.
    func submit(_ request: Request, process: @escaping Process) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let isIdle = queue == nil
            queue = queue ?? []
            queue?.append(Waiter(request: request, continuation: continuation))
            if isIdle {
                Task { await self.drain(process: process) }
            }
        }
    }

    /// Processes the queue batch by batch until it is empty.
    private func drain(process: Process) async {
        while let waiting = queue, !waiting.isEmpty {
            let batch = Array(waiting.prefix(maximumBatchSize))
            queue = Array(waiting.dropFirst(batch.count))
            let results = await process(batch.map(\.request))
            for (index, waiter) in batch.enumerated() {
                waiter.continuation.resume(
                    with: index < results.count ? results[index] : .failure(SendBatcherError.missingResult)
                )
            }
        }
        queue = nil
    }
}

/// `process` returned fewer results than the batch had requests: a programming error, reported
/// to the waiters left without one instead of leaving them waiting forever.
enum SendBatcherError: Error {
    case missingResult
}
