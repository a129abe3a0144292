import ArgumentParser
import GoldenVectors

/// `trellis vectors verify DIR`: checks the implementation against golden vectors.
struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Golden test vectors from the reference implementation.",
        subcommands: [Verify.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every recognised vector file in DIR; prints one line per file and `N passed, M failed`."
        )

        @Argument(help: "Directory holding the vector files (e.g. ../shared/vectors).")
        var directory: String

        @Flag(help: "Print every failing case, not only the per-file counts.")
        var verbose = false

        func run() throws {
            let reports = try GoldenVectorSuite.verify(directory: directory)
            for report in reports {
                print("\(report.file): \(report.passed) passed, \(report.failed) failed")
                if verbose || report.failed > 0 {
                    for failure in report.failures.prefix(verbose ? .max : 10) { print("  - \(failure)") }
                }
            }
            let passed = reports.reduce(0) { $0 + $1.passed }
            let failed = reports.reduce(0) { $0 + $1.failed }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 || reports.isEmpty { throw ExitCode.failure }
        }
    }
}
