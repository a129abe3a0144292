import Foundation
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

    /// A query parameter decoded as HTML forms encode it: `+` is a space, then percent escapes
    /// are decoded (a literal `+` arrives as `%2B`). Clients built on form encoders send JSON
    /// filters so; the first value wins when the name repeats.
    func formQuery(_ name: String) -> String? {
        guard let query = uri.query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String? {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard decoded(parts[0]) == name else { continue }
            return parts.count > 1 ? decoded(parts[1]) : ""
        }
        return nil
    }
}
