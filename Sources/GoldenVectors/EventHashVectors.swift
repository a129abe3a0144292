import MatrixCore
import MatrixCrypto
import MatrixEvents

/// `event_hashes.json`: content hash, hashing and signing, reference hash, event ID and the
/// redacted signed form, per room version; plus the spec appendix's signed events.
enum EventHashVectors {
    static func check(_ file: JSONObject, _ report: inout VectorReportBuilder) throws {
        let signer = try VectorSigningKey(file)
        for testCase in try file.cases() {
            report.runCase(testCase.caseName) { check in
                let rules = try testCase.roomVersionRules()
                check.expect("event_id_format '\(try testCase.required("event_id_format"))' differs from the rules",
                             formatName(rules.eventIDFormat) == (try testCase.required("event_id_format")))
                try checkSigning(testCase, rules: rules, signer: signer, &check)

                let signedPDU = try testCase.requiredJSONObject("signed_pdu")
                check.expectBytes("reference hash", Base64.encodeUnpadded(try EventHashing.referenceHash(of: signedPDU, rules: rules)),
                                  try testCase.required("reference_hash_sha256"))
                check.expectBytes("event ID", try EventHashing.eventID(of: signedPDU, rules: rules).description,
                                  try testCase.required("event_id"))
                let redactedPDU = redacted(signedPDU, rules: rules)
                check.expectBytes("redacted signed PDU", try redactedPDU.canonicalJSON(strict: false),
                                  try testCase.required("redacted_signed_pdu"))
                check.expect("content hash of signed PDU verifies", EventHashing.hasValidContentHash(signedPDU))
                do {
                    try JSONSigning.verify(redactedPDU, serverName: signer.serverName, keyID: signer.keyID,
                                           publicKey: signer.key.publicKey)
                } catch {
                    check.fail("signature of redacted signed PDU does not verify: \(error)")
                }
            }
        }
        for testCase in try file.cases("spec_appendix_cases") {
            report.runCase("spec appendix: " + testCase.caseName) { check in
                let rules = try testCase.roomVersionRules()
                try checkSigning(testCase, rules: rules, signer: signer, &check)
                check.expectBytes("content hash vs spec text", try testCase.required("content_hash_sha256"),
                                  try testCase.required("spec_text_content_hash_sha256"))
                check.expectBytes("signature vs spec text", try testCase.required("signature"),
                                  try testCase.required("spec_text_signature"))
            }
        }
    }

    /// Content hash, then `hashAndSign`, compared with `content_hash_sha256`, `signed_pdu` and `signature`.
    private static func checkSigning(
        _ testCase: JSONObject, rules: RoomVersionRules, signer: VectorSigningKey, _ check: inout CaseChecker
    ) throws {
        let pdu = try testCase.requiredJSONObject("pdu")
        check.expectBytes("content hash", Base64.encodeUnpadded(try EventHashing.contentHash(of: pdu)),
                          try testCase.required("content_hash_sha256"))
        let signed = try EventHashing.hashAndSign(pdu, rules: rules, serverName: signer.serverName, keyID: signer.keyID,
                                                  key: signer.key)
        check.expectBytes("signed PDU", try signed.canonicalJSON(strict: false), try testCase.required("signed_pdu"))
        check.expectBytes("signature", signed["signatures"]?[signer.serverName]?[signer.keyID]?.stringValue,
                          try testCase.required("signature"))
    }

    private static func formatName(_ format: RoomVersionRules.EventIDFormat) -> String {
        switch format {
        case .explicit: "explicit"
        case .base64: "base64"
        case .urlSafeBase64: "urlsafe_base64"
        }
    }
}
