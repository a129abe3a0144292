import Homeserver
import HomeserverRuntime
import HomeserverTesting
import Logging
import MatrixCore
import Storage
import Synchronization
import Testing

/// Nonce expiry of shared-secret registration, on a clock the test moves.
@Suite("Shared-secret registration nonces")
struct SharedSecretRegistrationTests {
    /// Milliseconds since the epoch, advanced by hand.
    final class ManualClock: Sendable {
        private let milliseconds = Mutex<Int64>(1_700_000_000_000)
        var now: Int64 { milliseconds.withLock { $0 } }
        func advance(by delta: Int64) { milliseconds.withLock { $0 += delta } }
    }

    @Test("a nonce is accepted until 60 s after it was issued, and not from then on")
    func lifetime() async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            let config = try ConfigLoader.load(
                yaml: "server_name: test.local\naccounts: { password_hash_operations: 1, password_hash_memory_kib: 8 }",
                environment: [:]
            )
            let accounts = AccountService(store: AccountStore(database: database), settings: try config.accountSettings(),
                                          logger: Logger(label: "test"))
            let clock = ManualClock()
            let registration = SharedSecretRegistration(secret: "secret", nonces: RegistrationNonceStore(database: database),
                                                        accounts: accounts, now: { clock.now })
            func request(_ nonce: String, _ username: String) -> SharedSecretRegistrationRequest {
                SharedSecretRegistrationRequest(
                    nonce: nonce, username: username, password: "pw",
                    mac: SharedSecretRegistration.mac(secret: "secret", nonce: nonce, username: username, password: "pw",
                                                      admin: false, userType: nil),
                    inhibitLogin: true
                )
            }

            let expiring = try await registration.issueNonce()
            #expect(expiring.count == 128)
            clock.advance(by: SharedSecretRegistration.nonceLifetimeMilliseconds)
            await #expect(throws: MatrixError(.invalidParam, "unrecognised nonce")) {
                try await registration.register(request(expiring, "late"))
            }

            let fresh = try await registration.issueNonce()
            clock.advance(by: SharedSecretRegistration.nonceLifetimeMilliseconds - 1)
            #expect(try await registration.register(request(fresh, "punctual")).userID.description == "@punctual:test.local")
        }
    }
}
