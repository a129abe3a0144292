internal import CSodium

/// SHA-256 (libsodium `crypto_hash_sha256`).
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// A digest computed piece by piece, for content that arrives in chunks.
    public struct Hasher: ~Copyable {
        private var state = crypto_hash_sha256_state()

        public init() {
            Sodium.ensureInitialized()
            _ = crypto_hash_sha256_init(&state)
        }

        /// Adds the next piece of the content.
        public mutating func update(_ bytes: some Collection<UInt8>) {
            let done = bytes.withContiguousStorageIfAvailable { buffer in
                _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
            }
            if done == nil {
                let copy = Array(bytes)
                _ = crypto_hash_sha256_update(&state, copy, UInt64(copy.count))
            }
        }

        /// The 32-byte digest of everything added.
        public consuming func finalize() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
            _ = crypto_hash_sha256_final(&state, &digest)
            return digest
        }
    }
}
