/// Failures creating or loading keys.
public enum CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An ed25519 seed must be 32 bytes.
    case invalidSeedLength(Int)
    /// A signing-key file had no usable `ed25519 <version> <seed>` line.
    case invalidKeyFile(String)

    public var description: String {
        switch self {
        case .invalidSeedLength(let count): "ed25519 seed must be 32 bytes, got \(count)"
        case .invalidKeyFile(let reason): "invalid signing key file: \(reason)"
        }
    }
}
