internal import COpenSSL

/// HMAC (RFC 2104) from OpenSSL's libcrypto, which libsodium lacks for SHA-1.
///
/// Used by Synapse-compatible shared-secret registration, whose MAC is HMAC-SHA1:
/// ```swift
/// let mac = Hex.encode(HMAC.sha1(key: Array(secret.utf8), message: Array("nonce\0alice\0pw\0notadmin".utf8)))
/// ```
public enum HMAC {
    /// The 20-byte HMAC-SHA1 of `message` under `key`.
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                COpenSSL.HMAC(EVP_sha1(), keyBytes.baseAddress, Int32(key.count),
                              messageBytes.baseAddress, messageBytes.count, &mac, &length)
            }
        }
        precondition(result != nil, "libcrypto HMAC-SHA1 failed")
        return Array(mac.prefix(Int(length)))
    }

    /// Whether two MACs are equal, in time that does not depend on where they differ.
    public static func isEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.isEmpty || CRYPTO_memcmp(lhs, rhs, lhs.count) == 0
    }
}
