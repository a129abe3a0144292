internal import CSodium

/// Password hashing with Argon2id, the memory-hard KDF of libsodium (`crypto_pwhash_str`).
///
/// Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`) that carry their own salt
/// and cost, so a server can raise the cost later and still verify older hashes. Hashing is
/// deliberately slow: call it off the event loop.
public struct PasswordHasher: Sendable, Equatable {
    /// Passes over memory (`t`); libsodium's interactive preset is 2.
    public let operationsLimit: Int
    /// Memory used per hash, in bytes; libsodium's interactive preset is 64 MiB.
    public let memoryLimitBytes: Int

    /// The longest password accepted, in bytes; longer input is refused, not truncated.
    public static let maximumPasswordBytes = 512

    public init(operationsLimit: Int, memoryLimitBytes: Int) {
        precondition(operationsLimit >= Int(crypto_pwhash_OPSLIMIT_MIN), "operationsLimit below libsodium's minimum")
        precondition(memoryLimitBytes >= Int(crypto_pwhash_MEMLIMIT_MIN), "memoryLimitBytes below libsodium's minimum")
        self.operationsLimit = operationsLimit
        self.memoryLimitBytes = memoryLimitBytes
    }

    /// The PHC string of `password` with a fresh random salt.
    public func hash(_ password: String) throws(PasswordHashingError) -> String {
        Sodium.ensureInitialized()
        let bytes = Array(password.utf8)
        guard bytes.count <= Self.maximumPasswordBytes else { throw .passwordTooLong }
        var output = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        // `utf8CString` is never empty (it ends in NUL), so its base address is never nil.
        let status = password.utf8CString.withUnsafeBufferPointer { chars in
            crypto_pwhash_str_alg(&output, chars.baseAddress!, UInt64(bytes.count), UInt64(operationsLimit),
                                  memoryLimitBytes, crypto_pwhash_ALG_ARGON2ID13)
        }
        guard status == 0 else { throw .outOfMemory }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `hash`; `false` for a malformed hash.
    public static func verify(_ password: String, against hash: String) -> Bool {
        Sodium.ensureInitialized()
        let bytes = Array(password.utf8)
        guard bytes.count <= maximumPasswordBytes else { return false }
        return password.utf8CString.withUnsafeBufferPointer { chars in
            crypto_pwhash_str_verify(hash, chars.baseAddress!, UInt64(bytes.count)) == 0
        }
    }

    /// Whether `hash` was made with other parameters than this hasher's, so it should be
    /// replaced after the next successful login.
    public func needsRehash(_ hash: String) -> Bool {
        Sodium.ensureInitialized()
        return crypto_pwhash_str_needs_rehash(hash, UInt64(operationsLimit), memoryLimitBytes) != 0
    }
}

/// Why a password could not be hashed.
public enum PasswordHashingError: Error, Equatable, Sendable {
    case passwordTooLong
    /// libsodium could not allocate the memory the cost asks for.
    case outOfMemory
}
