import Foundation
import Logging
import MatrixCore
@testable import HomeserverRuntime
import Testing

@Suite("Logging and process metrics")
struct ObservabilityTests {
    @Test("JSON log lines are objects with the message, level and metadata")
    func jsonLine() throws {
        let handler = StructuredLogHandler(label: "trellis.test", level: .info, format: .json)
        let line = handler.render(level: .warning, message: "say \"hi\"\n", fields: ["instance": "sync-1"])
        let object = try #require(try JSONValue(parsing: line).objectValue)
        #expect(object["msg"]?.stringValue == "say \"hi\"\n")
        #expect(object["level"]?.stringValue == "warning")
        #expect(object["logger"]?.stringValue == "trellis.test")
        #expect(object["instance"]?.stringValue == "sync-1")
        #expect(object["ts"]?.stringValue?.isEmpty == false)
        #expect(!line.contains("\n"))
    }

    @Test("text log lines are logfmt pairs with quoting")
    func textLine() {
        let handler = StructuredLogHandler(label: "t", level: .info, format: .text)
        let line = handler.render(level: .info, message: "two words", fields: ["k": "v"])
        #expect(line.contains(" level=info "))
        #expect(line.contains("msg=\"two words\""))
        #expect(line.hasSuffix("k=v"))
    }

    @Test("/proc/self/stat fields are split after the command name, even one with spaces")
    func statFields() throws {
        let stat = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 4 0 777 0 0"
        let fields = try #require(ProcessMetrics.statFields(stat))
        #expect(fields[14 - 3] == "250")
        #expect(fields[15 - 3] == "50")
        #expect(fields[22 - 3] == "777")
        #expect(ProcessMetrics.statFields("garbage") == nil)
    }

    @Test("a directory's entries are counted without . and .., names of one and two dots included")
    func directoryEntries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-entries-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(ProcessMetrics.entryCount(ofDirectory: directory.path) == 0)
        for name in ["a", ".hidden", "..x", "...", "long-name-\(String(repeating: "n", count: 200))"] {
            try Data().write(to: directory.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: false)
        #expect(ProcessMetrics.entryCount(ofDirectory: directory.path) == 6)
        #expect(ProcessMetrics.entryCount(ofDirectory: directory.appendingPathComponent("missing").path) == nil)
        // Standard input, output and error at least.
        #expect(try #require(ProcessMetrics.openDescriptorCount()) >= 3)
    }
}
