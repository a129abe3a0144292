import MatrixCore

/// The `401` of user-interactive authentication: the flows that would authorise the request.
///
/// https://spec.matrix.org/v1.16/client-server-api/#user-interactive-authentication-api.
/// Rendered as `{"flows": …, "params": {}, "session": …}`, plus `errcode` and `error` when
/// the client's attempt failed.
public struct AuthenticationChallenge: Error, Sendable {
    public var flows: [[String]]
    public var session: String
    public var failure: MatrixError?

    public var body: JSONValue {
        var object: JSONObject = [
            "flows": .array(flows.map { stages in .object(["stages": .array(stages.map(JSONValue.string))]) }),
            "params": .object([:]),
            "session": .string(session),
        ]
        if let failure {
            object["errcode"] = .string(failure.code.rawValue)
            object["error"] = .string(failure.message)
        }
        return .object(object)
    }
}
