import Replication

extension ClientAPIClient {
    /// The entries added to `stream` from now on; call it before the request that announces.
    ///
    /// The test Redis is shared by tests running in parallel: match entries on something unique
    /// to the test (a room ID, a random type).
    func entries(of stream: StreamName) async throws -> StreamReader.Iterator {
        try await StreamReader.startingNow(connection: redis, stream: stream).makeAsyncIterator()
    }
}

extension StreamReader.Iterator {
    /// The fields of the next entry that `matches`; entries before it are skipped.
    mutating func next(where matches: ([String: String]) -> Bool) async throws -> [String: String]? {
        while let entry = try await next() {
            if matches(entry.fields) { return entry.fields }
        }
        return nil
    }
}
