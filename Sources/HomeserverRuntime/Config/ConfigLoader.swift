import Foundation
import Yams

/// Reads `TrellisConfig` from YAML, applying defaults and environment overrides.
///
/// Precedence, highest first: environment variables, the file, `TrellisConfig.defaultsYAML`.
/// An environment variable `TRELLIS__DATABASE__HOST=db` sets `database.host`: the prefix
/// `TRELLIS__`, then the key path in upper case with `__` between levels. Unknown keys, in the
/// file or the environment, are errors so that typos do not pass silently.
public enum ConfigLoader {
    /// The prefix of environment variables that override configuration keys.
    public static let environmentPrefix = "TRELLIS__"

    /// Loads and verifies a configuration file.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> TrellisConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(problems: ["cannot read \(path): \(error.localizedDescription)"])
        }
        return try load(yaml: text, environment: environment)
    }

    /// Loads and verifies configuration from YAML text.
    public static func load(yaml: String, environment: [String: String]) throws(ConfigError) -> TrellisConfig {
        var problems: [String] = []
        var tree: Node
        do {
            guard let defaults = try Yams.compose(yaml: TrellisConfig.defaultsYAML) else {
                throw ConfigError(problems: ["built-in defaults are empty"])
            }
            tree = defaults
            if let file = try Yams.compose(yaml: yaml) {
                tree = overlay(file, onto: tree, path: [], problems: &problems)
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(problems: ["invalid YAML: \(error)"])
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(environmentPrefix) {
            let path = name.dropFirst(environmentPrefix.count).lowercased().components(separatedBy: "__")
            tree = set(Node(value), at: path[...], in: tree, variable: name, problems: &problems)
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        let config: TrellisConfig
        do {
            config = try YAMLDecoder().decode(TrellisConfig.self, from: tree)
        } catch {
            throw ConfigError(problems: [describe(error)])
        }
        let valueProblems = config.problems()
        guard valueProblems.isEmpty else { throw ConfigError(problems: valueProblems) }
        return config
    }

    /// Lays `override` over `base`: mappings merge key by key, anything else replaces. A plain
    /// `null` may replace a mapping, which turns off an optional section (e.g. a rate limit).
    private static func overlay(_ override: Node, onto base: Node, path: [String], problems: inout [String]) -> Node {
        guard case .mapping(var baseMapping) = base else { return override }
        if case .scalar(let scalar) = override, scalar.style == .plain, ["null", "~", "Null", "NULL"].contains(scalar.string) {
            return override
        }
        guard case .mapping(let overrideMapping) = override else {
            problems.append("\(dotted(path)): expected a mapping of keys")
            return base
        }
        for (keyNode, value) in overrideMapping {
            let key = keyNode.string ?? "\(keyNode)"
            guard let existing = baseMapping[key] else {
                problems.append("unknown key \(dotted(path + [key]))")
                continue
            }
            baseMapping[key] = overlay(value, onto: existing, path: path + [key], problems: &problems)
        }
        return .mapping(baseMapping)
    }

    /// Sets one scalar from an environment variable at a key path that must exist.
    private static func set(
        _ value: Node, at path: ArraySlice<String>, in node: Node, variable: String, problems: inout [String]
    ) -> Node {
        guard let key = path.first else { return value }
        guard case .mapping(var mapping) = node, let existing = mapping[key] else {
            problems.append("environment variable \(variable) names no configuration key")
            return node
        }
        mapping[key] = set(value, at: path.dropFirst(), in: existing, variable: variable, problems: &problems)
        return .mapping(mapping)
    }

    private static func dotted(_ path: [String]) -> String {
        path.isEmpty ? "top level" : path.joined(separator: ".")
    }

    private static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        switch decodingError {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(dotted(context.codingPath.map(\.stringValue))): expected a value of type \(type)"
        case .keyNotFound(let key, let context):
            return "\(dotted(context.codingPath.map(\.stringValue) + [key.stringValue])): missing"
        case .dataCorrupted(let context):
            return "\(dotted(context.codingPath.map(\.stringValue))): \(context.debugDescription)"
        @unknown default:
            return "\(decodingError)"
        }
    }
}

/// The configuration could not be used; `problems` lists every reason.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
