import MatrixCore

/// Pagination tokens of room timelines (`/messages` `from`/`to`, `start`/`end`): `s` followed by
/// an events-stream position. Any other text is `400 M_INVALID_PARAM`.
public enum TimelineToken {
    public static func encode(_ position: Int64) -> String { "s\(position)" }

    public static func decode(_ token: String) throws(MatrixError) -> Int64 {
        guard token.hasPrefix("s"), let position = Int64(token.dropFirst()), position >= 0 else {
            throw MatrixError(.invalidParam, "Invalid pagination token")
        }
        return position
    }
}
