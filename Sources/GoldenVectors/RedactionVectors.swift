import MatrixCore
import MatrixEvents

/// `redaction.json`: redact each event under its room version's rules.
enum RedactionVectors {
    static func check(_ file: JSONObject, _ report: inout VectorReportBuilder) throws {
        for testCase in try file.cases() {
            report.runCase(testCase.caseName) { check in
                let rules = try testCase.roomVersionRules()
                let event = try testCase.requiredJSONObject("event")
                check.expectBytes("redacted event", try redacted(event, rules: rules).canonicalJSON(strict: false),
                                  try testCase.required("redacted"))
            }
        }
    }
}
