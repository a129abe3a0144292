import MatrixCore
import MatrixEvents
import RoomGraph

/// `auth_rules.json`: Synapse's verdict from `check_state_dependent_auth_rules(event, state)`,
/// compared with ``AuthorizationRules/check(_:authState:rules:)``. The state map is built from
/// the case's `state` list, later entries winning a slot; event IDs come from `EventHashing`.
enum AuthRulesVectors {
    static func check(_ file: JSONObject, _ report: inout VectorReportBuilder) throws {
        for testCase in try file.cases() {
            report.runCase(testCase.caseName) { check in
                let rules = try testCase.roomVersionRules()
                var state: [StateKey: PDU] = [:]
                for item in testCase["state"]?.arrayValue ?? [] {
                    guard let text = item.stringValue, let json = try JSONValue(parsing: text).objectValue else {
                        throw VectorFormatError(file: "", problem: "a 'state' entry is not a JSON object text")
                    }
                    let event = try PDU(json: json, rules: rules)
                    guard let slot = event.stateSlot else {
                        throw VectorFormatError(file: "", problem: "state entry \(event.eventID) has no state_key")
                    }
                    state[slot] = event
                }
                let event = try PDU(json: try testCase.requiredJSONObject("event"), rules: rules)
                let expected = try testCase.required("verdict")
                guard expected == "allow" || expected == "reject" else {
                    throw VectorFormatError(file: "", problem: "verdict '\(expected)' is neither allow nor reject")
                }
                do {
                    try AuthorizationRules.check(event, authState: state, rules: rules)
                    check.expect("expected reject (\(testCase["reason"]?.stringValue ?? "")), got allow", expected == "allow")
                } catch {
                    check.expect("expected allow, got reject: \(error)", expected == "reject")
                }
            }
        }
    }
}
