import GoldenVectors
import Testing

@Suite("Golden vectors from Synapse")
struct GoldenVectorSuiteTests {
    /// Every recognised file with the number of cases it holds.
    static let expectedCaseCounts = [
        "canonical_json.json": 44,
        "signing.json": 10,
        "redaction.json": 180,
        "event_hashes.json": 182,  // 180 cases + 2 spec appendix cases
        "auth_rules.json": 60,
    ]

    static let reports: Result<[VectorFileReport], any Error> = Result {
        try GoldenVectorSuite.verify(directory: VectorsDirectory.resolve())
    }

    @Test("every recognised vector file is present and checked")
    func allFilesChecked() throws {
        let files = try Self.reports.get().map(\.file)
        #expect(files == GoldenVectorSuite.recognizedFiles)
        #expect(Set(files) == Set(Self.expectedCaseCounts.keys))
    }

    @Test("vector file passes every case", arguments: expectedCaseCounts.keys.sorted())
    func filePasses(_ file: String) throws {
        let report = try #require(try Self.reports.get().first { $0.file == file })
        #expect(report.failures == [])
        #expect(report.failed == 0)
        #expect(report.passed == Self.expectedCaseCounts[file])
    }

    @Test("auth_rules.json is checked")
    func authRulesChecked() {
        #expect(GoldenVectorSuite.recognizedFiles.contains("auth_rules.json"))
    }

    @Test("a missing directory is an error, not an empty success")
    func missingDirectory() {
        #expect(throws: VectorFormatError.self) {
            try GoldenVectorSuite.verify(directory: "/nonexistent-trellis-vectors")
        }
    }
}
