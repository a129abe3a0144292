import MatrixCrypto
import Testing

@Suite("Argon2id password hashing and tokens")
struct PasswordHasherTests {
    let cheap = PasswordHasher(operationsLimit: 1, memoryLimitBytes: 8192)

    @Test("a hash verifies its password only, carries its cost, and is salted")
    func hashAndVerify() throws {
        let hash = try cheap.hash("correct horse")
        #expect(hash.hasPrefix("$argon2id$v=19$m=8,t=1,p=1$"))
        #expect(PasswordHasher.verify("correct horse", against: hash))
        #expect(!PasswordHasher.verify("correct horsf", against: hash))
        #expect(!PasswordHasher.verify("correct horse", against: "not a hash"))
        #expect(try cheap.hash("correct horse") != hash)
        #expect(try cheap.hash("") != "")
        #expect(PasswordHasher.verify("", against: try cheap.hash("")))
    }

    @Test("a hash made at another cost needs rehashing; over-long passwords are refused")
    func rehashAndLimits() throws {
        let hash = try cheap.hash("secret")
        #expect(!cheap.needsRehash(hash))
        #expect(PasswordHasher(operationsLimit: 2, memoryLimitBytes: 8192).needsRehash(hash))
        let long = String(repeating: "x", count: PasswordHasher.maximumPasswordBytes + 1)
        #expect(throws: PasswordHashingError.passwordTooLong) { try cheap.hash(long) }
    }

    @Test("token digests are the hex SHA-256; random tokens use the asked alphabet and length")
    func tokens() {
        #expect(SecureToken.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let token = SecureToken.alphanumeric(40)
        #expect(token.count == 40)
        #expect(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(SecureToken.alphanumeric(40) != token)
    }
}
