import MatrixCore
import MatrixCrypto

/// `signing.json`: sign each input, run every verification check, and parse the X-Matrix headers.
enum SigningVectors {
    static func check(_ file: JSONObject, _ report: inout VectorReportBuilder) throws {
        let signer = try VectorSigningKey(file)
        for testCase in try file.cases() {
            report.runCase(testCase.caseName) { check in
                let input = try testCase.requiredJSONObject("input")
                let signingBytes = try JSONSigning.signingBytes(of: input)
                check.expectBytes("signing input", String(decoding: signingBytes, as: UTF8.self),
                                  try testCase.required("signing_input"))
                let signed = try JSONSigning.sign(input, serverName: signer.serverName, keyID: signer.keyID, key: signer.key)
                check.expectBytes("signed JSON", try signed.canonicalJSON(), try testCase.required("signed"))
                check.expectBytes("signature", signed["signatures"]?[signer.serverName]?[signer.keyID]?.stringValue,
                                  try testCase.required("signature"))
                try checkVerifications(testCase, &check)
                if testCase.contains(key: "x_matrix_header") {
                    try checkXMatrix(testCase, input: input, signer: signer, &check)
                }
            }
        }
    }

    private static func checkVerifications(_ testCase: JSONObject, _ check: inout CaseChecker) throws {
        for verification in try testCase.cases("verify") {
            let what = try verification.required("description")
            guard let publicKey = Base64.decode(try verification.required("public_key")) else {
                check.fail("\(what): public key is not Base64")
                continue
            }
            let json = try verification.requiredJSONObject("json")
            let serverName = try verification.required("server_name"), keyID = try verification.required("key_id")
            let outcome: SignatureVerificationError?
            do {
                try JSONSigning.verify(json, serverName: serverName, keyID: keyID, publicKey: publicKey)
                outcome = nil
            } catch {
                outcome = error
            }
            let expectValid = try verification.requiredBool("expect_valid")
            check.expect("verify '\(what)': expected \(expectValid ? "valid" : "invalid"), got \(outcome.map { "\($0)" } ?? "valid")",
                         (outcome == nil) == expectValid)
        }
    }

    private static func checkXMatrix(
        _ testCase: JSONObject, input: JSONObject, signer: VectorSigningKey, _ check: inout CaseChecker
    ) throws {
        let header = try testCase.required("x_matrix_header")
        guard let expected = testCase["x_matrix_header_parsed_by_synapse"]?.objectValue else {
            check.fail("x_matrix_header_parsed_by_synapse missing")
            return
        }
        let parsed = try XMatrixAuthorization(parsing: header)
        check.expectBytes("X-Matrix origin", parsed.origin, try expected.required("origin"))
        check.expectBytes("X-Matrix destination", parsed.destination, try expected.required("destination"))
        check.expectBytes("X-Matrix key", parsed.key, try expected.required("key"))
        check.expectBytes("X-Matrix sig", parsed.signature, try expected.required("sig"))
        check.expectBytes("X-Matrix header value", parsed.headerValue, header)

        let built = try XMatrixAuthorization.sign(
            method: try input.required("method"), uri: try input.required("uri"), origin: try input.required("origin"),
            destination: try input.required("destination"), content: input["content"],
            keyID: signer.keyID, key: signer.key)
        check.expectBytes("X-Matrix header built from the request", built.headerValue, header)
        do {
            try parsed.verify(
                method: try input.required("method"), uri: try input.required("uri"),
                destination: try input.required("destination"), content: input["content"],
                publicKey: signer.key.publicKey)
        } catch {
            check.fail("X-Matrix header does not verify: \(error)")
        }
    }
}
