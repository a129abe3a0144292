/// The outcome of checking one golden-vector file.
public struct VectorFileReport: Sendable, Equatable {
    /// The file name, e.g. `canonical_json.json`.
    public var file: String
    /// Cases whose every check passed.
    public var passed: Int
    /// Cases with at least one failed check.
    public var failed: Int
    /// One line per failed check: case name and what differed.
    public var failures: [String]

    public init(file: String, passed: Int = 0, failed: Int = 0, failures: [String] = []) {
        self.file = file
        self.passed = passed
        self.failed = failed
        self.failures = failures
    }
}
