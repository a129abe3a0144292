/// The iteration shared by the stream iterators (``StreamReader/Iterator``, ``StreamConsumerGroup/Entries/Iterator``):
/// hand out the entries of the last batch read one at a time, and read the next batch once they are used up.
///
/// ``nextBufferedEntry()`` ends iteration (returns `nil`) when the task is cancelled or the connection is closed.
/// When Redis is unreachable it calls ``connectionLost(_:)``, pauses briefly and reads again, so the iterator rides
/// out a Redis restart. Other Redis errors go to ``readFailed(_:)``; anything else is thrown.
protocol StreamBatchIterator {
    /// Entries read but not handed out yet.
    var unread: ArraySlice<StreamEntry> { get set }
    /// Reads the next batch; an empty one just leads to another read.
    mutating func readBatch() async throws -> [StreamEntry]
    /// Called when a read failed because the connection was lost, before pausing to retry.
    mutating func connectionLost(_ error: RedisError)
    /// Called when a read failed with any other Redis error: recover to read again, or throw. Throws it by default.
    mutating func readFailed(_ error: RedisError) async throws
}

extension StreamBatchIterator {
    mutating func readFailed(_ error: RedisError) async throws {
        throw error
    }

    /// The next entry, reading batches as needed; see the protocol's documentation.
    mutating func nextBufferedEntry() async throws -> StreamEntry? {
        while true {
            if let entry = unread.popFirst() { return entry }
            if Task.isCancelled { return nil }
            do {
                unread = try await readBatch()[...]
            } catch is CancellationError {
                return nil
            } catch let error as RedisError where error.code == .closed {
                return nil
            } catch let error as RedisError where error.isConnectionError {
                connectionLost(error)
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return nil }
            } catch let error as RedisError {
                try await readFailed(error)
            }
        }
    }
}
