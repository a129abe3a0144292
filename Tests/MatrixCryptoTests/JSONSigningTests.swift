import MatrixCore
import MatrixCrypto
import Testing

@Suite("JSON signing")
struct JSONSigningTests {
    let key = try! Ed25519SigningKey(seed: specSeed)

    @Test("reproduces the spec appendix signature of {}")
    func specEmptyObject() throws {
        let signed = try JSONSigning.sign([:], serverName: "domain", keyID: "ed25519:1", key: key)
        #expect(signed["signatures"]?["domain"]?["ed25519:1"]
            == "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ")
    }

    @Test("keeps other signatures and unsigned; unsigned is not signed")
    func keepsExisting() throws {
        let input: JSONObject = ["a": 1, "unsigned": ["age": 5], "signatures": ["other": ["ed25519:x": "c2ln"]]]
        var signed = try JSONSigning.sign(input, serverName: "domain", keyID: "ed25519:1", key: key)
        #expect(signed["signatures"]?["other"]?["ed25519:x"] == "c2ln")
        #expect(signed["unsigned"] == ["age": 5])
        signed["unsigned"] = ["age": 6]
        try JSONSigning.verify(signed, serverName: "domain", keyID: "ed25519:1", publicKey: key.publicKey)
    }

    @Test("verification failures are typed")
    func failures() throws {
        let signed = try JSONSigning.sign(["a": 1], serverName: "domain", keyID: "ed25519:1", key: key)
        #expect(throws: SignatureVerificationError.missingSignature(serverName: "other", keyID: "ed25519:1")) {
            try JSONSigning.verify(signed, serverName: "other", keyID: "ed25519:1", publicKey: key.publicKey)
        }
        var tampered = signed
        tampered["a"] = 2
        #expect(throws: SignatureVerificationError.invalidSignature(serverName: "domain", keyID: "ed25519:1")) {
            try JSONSigning.verify(tampered, serverName: "domain", keyID: "ed25519:1", publicKey: key.publicKey)
        }
        var malformed = signed
        malformed["signatures"] = ["domain": ["ed25519:1": 5]]
        #expect(throws: SignatureVerificationError.malformedSignature(serverName: "domain", keyID: "ed25519:1")) {
            try JSONSigning.verify(malformed, serverName: "domain", keyID: "ed25519:1", publicKey: key.publicKey)
        }
    }
}
