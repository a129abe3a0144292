/// Collects the checks of each case into a ``VectorFileReport``.
struct VectorReportBuilder {
    private(set) var report: VectorFileReport

    init(file: String) { report = VectorFileReport(file: file) }

    /// Runs the checks of one case. A case passes if it records no failure and throws nothing;
    /// a thrown error (a missing field, unparsable JSON) counts as a failure of that case.
    mutating func runCase(_ name: String, _ body: (inout CaseChecker) throws -> Void) {
        var checker = CaseChecker(caseName: name)
        do {
            try body(&checker)
        } catch {
            checker.fail("error: \(error)")
        }
        if checker.failures.isEmpty {
            report.passed += 1
        } else {
            report.failed += 1
            report.failures += checker.failures
        }
    }
}
