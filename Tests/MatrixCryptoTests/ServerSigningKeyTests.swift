import MatrixCore
import MatrixCrypto
import Testing

@Suite("Server signing key files")
struct ServerSigningKeyTests {
    @Test("reads Synapse's format and writes it back")
    func roundTrip() throws {
        let contents = "ed25519 a_AbCd YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\n"
        let key = try ServerSigningKey(fileContents: contents)
        #expect(key.version == "a_AbCd")
        #expect(key.keyID == "ed25519:a_AbCd")
        #expect(Base64.encodeUnpadded(key.key.publicKey) == specPublicKey)
        // The spec's seed text has non-zero unused bits ("…XA1"); re-encoding normalises them.
        #expect(key.fileContents == "ed25519 a_AbCd YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0\n")
        #expect(try ServerSigningKey(fileContents: key.fileContents).key.seed == key.key.seed)
    }

    @Test("skips lines that are not ed25519 keys and uses the first valid one")
    func firstValidLine() throws {
        let contents = "\n# comment\ncurve25519 x abc\ned25519 bad!version YJDB\ned25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\ned25519 2 AAAA\n"
        #expect(try ServerSigningKey(fileContents: contents).version == "1")
    }

    @Test("a file without a usable key is an error")
    func invalidFile() {
        #expect(throws: CryptoError.self) { try ServerSigningKey(fileContents: "ed25519 a_x notbase64!!\n") }
        #expect(throws: CryptoError.self) { try ServerSigningKey(fileContents: "") }
    }

    @Test("generated keys look like Synapse's and survive a file round trip")
    func generate() throws {
        let key = ServerSigningKey.generate()
        #expect(key.version.hasPrefix("a_") && key.version.count == 6)
        let reread = try ServerSigningKey(fileContents: key.fileContents)
        #expect(reread.version == key.version && reread.key.publicKey == key.key.publicKey)
        #expect(ServerSigningKey.generate().key.seed != key.key.seed)
    }
}
