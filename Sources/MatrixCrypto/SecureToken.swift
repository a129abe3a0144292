import MatrixCore

/// Random secrets handed to clients (access and refresh tokens, device IDs, session IDs)
/// and the digests under which they are stored.
public enum SecureToken {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `count` characters drawn uniformly from `[A-Za-z0-9]` by libsodium's CSPRNG.
    public static func alphanumeric(_ count: Int) -> String {
        random(count, from: alphanumerics)
    }

    /// `count` characters drawn uniformly from `alphabet`.
    public static func random(_ count: Int, from alphabet: [UInt8]) -> String {
        precondition(!alphabet.isEmpty && alphabet.count <= Int(UInt32.max))
        let bytes = (0..<count).map { _ in alphabet[Int(Sodium.randomUniform(UInt32(alphabet.count)))] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The lowercase hex SHA-256 of a token: what the database stores instead of the token.
    public static func digest(_ token: String) -> String {
        Hex.encode(SHA256.hash(Array(token.utf8)))
    }

    /// `byteCount` random bytes from libsodium's CSPRNG, as lowercase hex (Python's `secrets.token_hex`).
    public static func hex(byteCount: Int) -> String {
        Hex.encode(Sodium.randomBytes(byteCount))
    }
}
