import HomeserverTesting
import Storage
import Testing

@Suite("Registration nonce store")
struct RegistrationNonceStoreTests {
    static func withStore(_ body: (RegistrationNonceStore) async throws -> Void) async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            try await body(RegistrationNonceStore(database: database))
        }
    }

    @Test("a nonce is accepted once, and unknown nonces never")
    func singleUse() async throws {
        try await Self.withStore { nonces in
            try await nonces.insert("abc", expiresTimestamp: 2_000, now: 1_000)
            #expect(try await nonces.consume("abc", now: 1_500))
            #expect(try await !nonces.consume("abc", now: 1_500))
            #expect(try await !nonces.consume("never issued", now: 1_500))
        }
    }

    @Test("a nonce is refused from its expiry on, and issuing another sweeps it away")
    func expiry() async throws {
        try await Self.withStore { nonces in
            try await nonces.insert("late", expiresTimestamp: 2_000, now: 1_000)
            #expect(try await !nonces.consume("late", now: 2_000))

            try await nonces.insert("swept", expiresTimestamp: 2_000, now: 1_000)
            try await nonces.insert("fresh", expiresTimestamp: 5_000, now: 3_000)
            // Swept at 3 000: gone even for a caller whose clock is behind.
            #expect(try await !nonces.consume("swept", now: 1_500))
            #expect(try await nonces.consume("fresh", now: 4_999))
        }
    }

    @Test("of concurrent uses of one nonce, exactly one succeeds")
    func concurrentUse() async throws {
        try await Self.withStore { nonces in
            try await nonces.insert("shared", expiresTimestamp: 2_000, now: 1_000)
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await nonces.consume("shared", now: 1_500) } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
        }
    }
}
