import Hummingbird
import MatrixCore

extension Request {
    /// A query parameter that must be a non-negative integer when present (`400 M_INVALID_PARAM`).
    func nonNegativeIntegerQuery(_ name: String) throws(MatrixError) -> Int? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw MatrixError(.invalidParam, "Query parameter '\(name)' must be a non-negative integer")
        }
        return value
    }

    /// A query parameter that must be `true` or `false` when present (`400 M_INVALID_PARAM`).
    func booleanQuery(_ name: String) throws(MatrixError) -> Bool? {
        switch uri.queryParameters.get(name) {
        case nil: return nil
        case "true": return true
        case "false": return false
        default: throw MatrixError(.invalidParam, "Boolean query parameter '\(name)' must be one of ['true', 'false']")
        }
    }
}
