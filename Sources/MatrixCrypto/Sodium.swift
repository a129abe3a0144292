internal import CSodium

/// The one place libsodium is initialised. `sodium_init()` is safe to call more than once, and
/// a `static let` initialiser runs exactly once, thread-safely.
enum Sodium {
    private static let initialized: Bool = sodium_init() >= 0

    /// Call before any other libsodium function.
    static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise")
    }

    /// `count` cryptographically secure random bytes.
    static func randomBytes(_ count: Int) -> [UInt8] {
        ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }

    /// A uniformly random integer in `0..<upperBound`.
    static func randomUniform(_ upperBound: UInt32) -> UInt32 {
        ensureInitialized()
        return randombytes_uniform(upperBound)
    }
}
