import MatrixCore

/// `canonical_json.json`: parse each input, then encode it strictly and leniently.
enum CanonicalJSONVectors {
    static func check(_ file: JSONObject, _ report: inout VectorReportBuilder) throws {
        for testCase in try file.cases() {
            report.runCase(testCase.caseName) { check in
                let valid = try testCase.requiredBool("valid")
                let canonical = try testCase.required("canonical")
                let lenient = try testCase.required("lenient_canonical")
                let parsed = try? JSONValue(parsing: testCase.required("input"))
                let strictOutput = parsed.flatMap { try? $0.canonicalJSON() }
                let lenientOutput = parsed.flatMap { try? $0.canonicalJSON(strict: false) }
                if valid {
                    check.expectBytes("strict canonical JSON", strictOutput, canonical)
                    check.expectBytes("lenient canonical JSON", lenientOutput, canonical)
                } else {
                    check.expectBytes("strict canonical JSON (must be rejected)", strictOutput, nil)
                    check.expectBytes("lenient canonical JSON", lenientOutput, lenient.isEmpty ? nil : lenient)
                }
            }
        }
    }
}
