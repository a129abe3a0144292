internal import CSodium

/// SHA-256 (libsodium `crypto_hash_sha256`).
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Sodium.ensureInitialized()
        let input = Array(bytes)
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        _ = crypto_hash_sha256(&digest, input, UInt64(input.count))
        return digest
    }
}
