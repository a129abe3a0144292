import MatrixCore

/// A homeserver's signing key with its version, as in Synapse's `*.signing.key` file.
///
/// The file holds lines `ed25519 <version> <unpadded base64 seed>`; Synapse uses the first
/// one to sign. https://spec.matrix.org/v1.16/server-server-api/#retrieving-server-keys
public struct ServerSigningKey: Sendable {
    /// The key version, e.g. `a_XXXX`.
    public var version: String
    public var key: Ed25519SigningKey

    public init(version: String, key: Ed25519SigningKey) {
        self.version = version
        self.key = key
    }

    /// The key ID used in `signatures` and `verify_keys`: `ed25519:<version>`.
    public var keyID: String { "ed25519:\(version)" }

    /// Reads the first valid `ed25519` line of a Synapse signing-key file.
    public init(fileContents: String) throws(CryptoError) {
        for line in fileContents.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, fields[0] == "ed25519", Self.isValidVersion(fields[1]),
                  let seed = Base64.decode(String(fields[2])), seed.count == 32
            else { continue }
            self.init(version: String(fields[1]), key: try Ed25519SigningKey(seed: seed))
            return
        }
        throw .invalidKeyFile("no line of the form 'ed25519 <version> <base64 seed>'")
    }

    /// The key in Synapse's file format, one line with a trailing newline.
    public var fileContents: String {
        "ed25519 \(version) \(Base64.encodeUnpadded(key.seed))\n"
    }

    /// A new random key with a version `a_` + 4 random letters or digits, as Synapse generates.
    public static func generate() -> ServerSigningKey {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let suffix = (0..<4).map { _ in alphabet[Int(Sodium.randomUniform(UInt32(alphabet.count)))] }
        return ServerSigningKey(version: "a_" + String(suffix), key: .generate())
    }

    /// Key versions are `[A-Za-z0-9_]+` (https://spec.matrix.org/v1.16/appendices/#key-ids).
    private static func isValidVersion(_ version: Substring) -> Bool {
        !version.isEmpty && version.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
