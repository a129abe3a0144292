internal import COpenSSL
internal import CSodium

/// SHA-256.
public enum SHA256 {
    /// The 32-byte digest of `bytes` (libsodium `crypto_hash_sha256`).
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Sodium.ensureInitialized()
        let input = Array(bytes)
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        _ = crypto_hash_sha256(&digest, input, UInt64(input.count))
        return digest
    }

    /// A digest computed piece by piece, for content that arrives in chunks (uploads of many
    /// megabytes). libcrypto's implementation, which uses the CPU's SHA extensions: several
    /// times libsodium's portable one.
    public struct Hasher: ~Copyable {
        private let context: OpaquePointer

        public init() {
            context = EVP_MD_CTX_new()
            EVP_DigestInit_ex(context, EVP_sha256(), nil)
        }

        deinit {
            EVP_MD_CTX_free(context)
        }

        /// Adds the next piece of the content.
        public mutating func update(_ bytes: some Collection<UInt8>) {
            let done = bytes.withContiguousStorageIfAvailable { buffer in
                _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
            }
            if done == nil {
                let copy = Array(bytes)
                _ = EVP_DigestUpdate(context, copy, copy.count)
            }
        }

        /// The 32-byte digest of everything added.
        public consuming func finalize() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            _ = EVP_DigestFinal_ex(context, &digest, &length)
            return digest
        }
    }
}
