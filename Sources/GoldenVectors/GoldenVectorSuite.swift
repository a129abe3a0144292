import Foundation
import MatrixCore

/// Runs the golden test vectors (`shared/vectors`, produced by Synapse) against Trellis's
/// implementation. Used by `trellis vectors verify DIR` and by the test suite.
public enum GoldenVectorSuite {
    /// The vector files this suite understands. Adding a kind is one line here plus its checker.
    static let kinds: [VectorFileKind] = [
        VectorFileKind(file: "canonical_json.json", check: CanonicalJSONVectors.check),
        VectorFileKind(file: "signing.json", check: SigningVectors.check),
        VectorFileKind(file: "redaction.json", check: RedactionVectors.check),
        VectorFileKind(file: "event_hashes.json", check: EventHashVectors.check),
        VectorFileKind(file: "auth_rules.json", check: AuthRulesVectors.check),
    ]

    /// The file names ``verify(directory:)`` checks; other files are skipped.
    public static var recognizedFiles: [String] { kinds.map(\.file) }

    /// Checks every recognised vector file present in `directory`, in ``recognizedFiles`` order.
    ///
    /// - Throws: ``VectorFormatError`` if a file cannot be read or is not a vector file; a
    ///   file with wrong answers is not an error but a report with failures. Also throws if
    ///   `directory` does not exist.
    public static func verify(directory: String) throws -> [VectorFileReport] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VectorFormatError(file: directory, problem: "no such directory")
        }
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        var reports: [VectorFileReport] = []
        for kind in kinds {
            let url = base.appendingPathComponent(kind.file)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let data = try Data(contentsOf: url)
            let document: JSONValue
            do {
                document = try JSONValue(parsing: data)
            } catch {
                throw VectorFormatError(file: kind.file, problem: "not JSON: \(error)")
            }
            guard let object = document.objectValue else {
                throw VectorFormatError(file: kind.file, problem: "top level is not an object")
            }
            var report = VectorReportBuilder(file: kind.file)
            do {
                try kind.check(object, &report)
            } catch let error as VectorFormatError {
                throw error
            } catch {
                throw VectorFormatError(file: kind.file, problem: "\(error)")
            }
            reports.append(report.report)
        }
        return reports
    }
}

/// One kind of vector file and the function that checks its contents.
struct VectorFileKind: Sendable {
    let file: String
    let check: @Sendable (JSONObject, inout VectorReportBuilder) throws -> Void
}
