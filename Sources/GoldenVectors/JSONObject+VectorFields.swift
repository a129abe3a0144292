import MatrixCore
import MatrixEvents

/// Typed access to the fields of vector files; a missing field fails the case that needs it.
extension JSONObject {
    /// A string member a vector case must have.
    func required(_ key: String) throws(VectorFormatError) -> String {
        guard let value = self[key]?.stringValue else { throw VectorFormatError(file: "", problem: "missing string '\(key)'") }
        return value
    }

    /// A Boolean member a vector case must have.
    func requiredBool(_ key: String) throws(VectorFormatError) -> Bool {
        guard let value = self[key]?.boolValue else { throw VectorFormatError(file: "", problem: "missing bool '\(key)'") }
        return value
    }

    /// A member holding JSON text, parsed as an object.
    func requiredJSONObject(_ key: String) throws -> JSONObject {
        guard let object = try JSONValue(parsing: required(key)).objectValue else {
            throw VectorFormatError(file: "", problem: "'\(key)' is not a JSON object")
        }
        return object
    }

    /// The array of case objects under `key`.
    func cases(_ key: String = "cases") throws(VectorFormatError) -> [JSONObject] {
        guard let array = self[key]?.arrayValue else { throw VectorFormatError(file: "", problem: "missing array '\(key)'") }
        return array.compactMap(\.objectValue)
    }

    /// The case's `name`, prefixed with its room version when it has one.
    var caseName: String {
        let name = self["name"]?.stringValue ?? "?"
        return self["room_version"]?.stringValue.map { "v\($0) \(name)" } ?? name
    }

    /// The rules of the case's `room_version`, checking its `disposition` too.
    func roomVersionRules() throws -> RoomVersionRules {
        let id = RoomVersionID(try required("room_version"))
        guard let rules = RoomVersionRules.rules(for: id) else {
            throw VectorFormatError(file: "", problem: "unknown room version \(id)")
        }
        if let disposition = self["disposition"]?.stringValue, disposition != rules.disposition.rawValue {
            throw VectorFormatError(file: "", problem: "room version \(id) is \(rules.disposition), vector says \(disposition)")
        }
        return rules
    }
}
