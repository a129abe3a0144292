/// The checks of one case.
struct CaseChecker {
    let caseName: String
    private(set) var failures: [String] = []

    init(caseName: String) { self.caseName = caseName }

    mutating func fail(_ message: String) {
        failures.append("\(caseName): \(message)")
    }

    /// Compares two texts byte for byte (never by Unicode canonical equivalence).
    mutating func expectBytes(_ what: String, _ actual: String?, _ expected: String?) {
        let same = switch (actual, expected) {
        case let (actual?, expected?): actual.utf8.elementsEqual(expected.utf8)
        case (nil, nil): true
        default: false
        }
        if !same { fail("\(what): expected \(expected.map(quoted) ?? "failure"), got \(actual.map(quoted) ?? "failure")") }
    }

    mutating func expect(_ what: String, _ condition: Bool) {
        if !condition { fail(what) }
    }

    private func quoted(_ text: String) -> String {
        let limit = 300
        return text.utf8.count > limit ? "'\(text.prefix(limit))…'" : "'\(text)'"
    }
}
