import Foundation
import Logging
import MatrixCore

/// A swift-log backend writing one structured line per event to standard error.
///
/// `json` lines are objects with `ts`, `level`, `logger`, `msg` and the metadata as string
/// fields; `text` lines are `key=value` pairs (logfmt) for people reading a terminal.
public struct StructuredLogHandler: LogHandler {
    public enum Format: String, Sendable { case json, text }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: Format

    public init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let line = render(level: event.level, message: event.message.description, fields: fields)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// One log line, without the newline.
    func render(level: Logger.Level, message: String, fields: Logger.Metadata) -> String {
        let timestamp = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .json:
            var object: JSONObject = [
                "ts": .string(timestamp), "level": .string(level.rawValue),
                "logger": .string(label), "msg": .string(message),
            ]
            for (key, value) in fields where object[key] == nil { object[key] = .string(value.description) }
            return JSONValue.object(object).jsonString()
        case .text:
            let pairs = [("ts", timestamp), ("level", level.rawValue), ("logger", label), ("msg", message)]
                + fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }
            return pairs.map { "\($0)=\(Self.quoted($1))" }.joined(separator: " ")
        }
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value
    }
}
