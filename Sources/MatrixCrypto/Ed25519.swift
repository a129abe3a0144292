internal import CSodium

/// An ed25519 private key, kept as its 32-byte seed (the form Matrix key files store).
public struct Ed25519SigningKey: Sendable {
    /// The 32-byte seed.
    public let seed: [UInt8]
    /// The 32-byte public key.
    public let publicKey: [UInt8]
    /// libsodium's 64-byte secret key (seed followed by public key).
    private let secretKey: [UInt8]

    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == Int(crypto_sign_SEEDBYTES) else { throw .invalidSeedLength(seed.count) }
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        self.seed = seed
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new key from a random seed.
    public static func generate() -> Ed25519SigningKey {
        // A 32-byte seed is always valid.
        try! Ed25519SigningKey(seed: Sodium.randomBytes(Int(crypto_sign_SEEDBYTES)))
    }

    /// The 64-byte detached signature of `message`.
    public func sign(_ message: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(message)
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        _ = crypto_sign_detached(&signature, nil, bytes, UInt64(bytes.count), secretKey)
        return signature
    }
}

/// ed25519 signature verification.
public enum Ed25519 {
    /// Whether `signature` is a valid signature of `message` by `publicKey`. Wrong-sized
    /// signatures or keys are simply invalid.
    public static func verify(
        signature: some Collection<UInt8>, message: some Collection<UInt8>, publicKey: some Collection<UInt8>
    ) -> Bool {
        let signature = Array(signature), message = Array(message), publicKey = Array(publicKey)
        guard signature.count == Int(crypto_sign_BYTES), publicKey.count == Int(crypto_sign_PUBLICKEYBYTES) else {
            return false
        }
        Sodium.ensureInitialized()
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}
