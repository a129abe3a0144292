import MatrixCore
import MatrixCrypto
import Testing

/// The seed and public key of the Matrix spec appendix test vectors.
let specSeed = Base64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")!
let specPublicKey = "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI"

@Suite("ed25519 and SHA-256")
struct Ed25519Tests {
    @Test("the spec appendix seed gives the spec's public key")
    func specKey() throws {
        let key = try Ed25519SigningKey(seed: specSeed)
        #expect(Base64.encodeUnpadded(key.publicKey) == specPublicKey)
        #expect(key.seed == specSeed)
    }

    @Test("signatures verify only with the right key and message")
    func signVerify() {
        let key = Ed25519SigningKey.generate()
        let other = Ed25519SigningKey.generate()
        let message = Array("hello".utf8)
        let signature = key.sign(message)
        #expect(signature.count == 64)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: Array("hellO".utf8), publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: other.publicKey))
        #expect(!Ed25519.verify(signature: signature.dropLast(), message: message, publicKey: key.publicKey))
    }

    @Test("seeds must be 32 bytes")
    func seedLength() {
        #expect(throws: CryptoError.invalidSeedLength(31)) { try Ed25519SigningKey(seed: Array(repeating: 0, count: 31)) }
    }

    @Test("SHA-256 of 'abc' (FIPS 180-2)")
    func sha256() {
        let digest = SHA256.hash(Array("abc".utf8))
        let hex = digest.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        #expect(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite("SHA-256 in pieces")
struct SHA256HasherTests {
    @Test("hashing in chunks gives the one-shot digest and the FIPS 180-2 vector")
    func chunks() {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        var hasher = SHA256.Hasher()
        for chunk in stride(from: 0, to: message.count, by: 7).map({ message[$0..<min($0 + 7, message.count)] }) {
            hasher.update(chunk)
        }
        let digest = hasher.finalize()
        #expect(digest == SHA256.hash(message))
        #expect(Hex.encode(digest) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
