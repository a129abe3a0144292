/// A Matrix error as sent to clients and servers: `{"errcode": "M_…", "error": "…", …}`.
///
/// https://spec.matrix.org/v1.16/client-server-api/#standard-error-response
public struct MatrixError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrCode
    /// Human-readable text for the `error` field.
    public var message: String
    /// Extra fields, such as `retry_after_ms` for `M_LIMIT_EXCEEDED`.
    public var extra: JSONObject

    public init(_ code: ErrCode, _ message: String, extra: JSONObject = [:]) {
        self.code = code
        self.message = message
        self.extra = extra
    }

    /// The response body: `extra` plus `errcode` and `error` (which take precedence).
    public var body: JSONValue {
        var object = extra
        object["errcode"] = .string(code.rawValue)
        object["error"] = .string(message)
        return .object(object)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
