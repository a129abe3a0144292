/// Typed reads of request-body fields that answer with the spec's errors: `M_BAD_JSON` for a
/// field of the wrong type, `M_MISSING_PARAM` for a required field that is absent.
extension JSONObject {
    /// The string at `key`; `nil` when absent or `null`.
    public func string(_ key: String) throws(MatrixError) -> String? {
        try field(key, "a string") { $0.stringValue }
    }

    /// The string at `key`, which must be present.
    public func requiredString(_ key: String) throws(MatrixError) -> String {
        guard let value = try string(key) else { throw Self.missing(key) }
        return value
    }

    /// The boolean at `key`; `nil` when absent or `null`.
    public func bool(_ key: String) throws(MatrixError) -> Bool? {
        try field(key, "a boolean") { $0.boolValue }
    }

    /// The integer at `key`; `nil` when absent or `null`.
    public func integer(_ key: String) throws(MatrixError) -> Int64? {
        try field(key, "an integer") { $0.integerValue }
    }

    /// The object at `key`; `nil` when absent or `null`.
    public func object(_ key: String) throws(MatrixError) -> JSONObject? {
        try field(key, "an object") { $0.objectValue }
    }

    /// The array at `key`; `nil` when absent or `null`.
    public func array(_ key: String) throws(MatrixError) -> [JSONValue]? {
        try field(key, "an array") { $0.arrayValue }
    }

    /// The array of strings at `key`; `nil` when absent or `null`.
    public func stringArray(_ key: String) throws(MatrixError) -> [String]? {
        guard let items = try array(key) else { return nil }
        var strings: [String] = []
        for item in items {
            guard let string = item.stringValue else {
                throw MatrixError(.badJSON, "'\(key)' must be an array of strings")
            }
            strings.append(string)
        }
        return strings
    }

    private func field<T>(_ key: String, _ kind: String, _ read: (JSONValue) -> T?) throws(MatrixError) -> T? {
        guard let value = self[key], value != .null else { return nil }
        guard let typed = read(value) else { throw MatrixError(.badJSON, "'\(key)' must be \(kind)") }
        return typed
    }

    private static func missing(_ key: String) -> MatrixError {
        MatrixError(.missingParam, "Missing parameter '\(key)'")
    }
}
