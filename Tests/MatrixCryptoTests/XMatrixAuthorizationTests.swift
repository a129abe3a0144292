import MatrixCore
import MatrixCrypto
import Testing

@Suite("X-Matrix authorization header")
struct XMatrixAuthorizationTests {
    @Test("parses quoted and bare values, any scheme case, in any order")
    func parse() throws {
        let header = try XMatrixAuthorization(parsing: #"x-matrix key="ed25519:1", sig="c2ln",origin=origin.example,destination="dest.example""#)
        #expect(header == XMatrixAuthorization(origin: "origin.example", destination: "dest.example", key: "ed25519:1", signature: "c2ln"))
        #expect(header.headerValue == #"X-Matrix origin="origin.example",destination="dest.example",key="ed25519:1",sig="c2ln""#)
    }

    @Test("destination is optional; origin, key and sig are not")
    func required() throws {
        #expect(try XMatrixAuthorization(parsing: #"X-Matrix origin="o",key="k",sig="s""#).destination == nil)
        #expect(throws: XMatrixAuthorization.ParseError.missingParameter("sig")) {
            try XMatrixAuthorization(parsing: #"X-Matrix origin="o",key="k""#)
        }
        #expect(throws: XMatrixAuthorization.ParseError.notXMatrix) { try XMatrixAuthorization(parsing: "Bearer abc") }
    }

    @Test("a signed request verifies, and fails for another URI")
    func signAndVerify() throws {
        let key = try Ed25519SigningKey(seed: specSeed)
        let content: JSONValue = ["pdus": []]
        let header = try XMatrixAuthorization.sign(
            method: "PUT", uri: "/_matrix/federation/v1/send/1", origin: "domain", destination: "remote",
            content: content, keyID: "ed25519:1", key: key)
        let parsed = try XMatrixAuthorization(parsing: header.headerValue)
        try parsed.verify(method: "PUT", uri: "/_matrix/federation/v1/send/1", destination: "remote", content: content,
                          publicKey: key.publicKey)
        #expect(throws: SignatureVerificationError.self) {
            try parsed.verify(method: "PUT", uri: "/_matrix/federation/v1/send/2", destination: "remote",
                              content: content, publicKey: key.publicKey)
        }
    }
}
