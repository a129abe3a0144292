import MatrixCore

/// Pagination tokens of room timelines (`/messages` `from`/`to`, `start`/`end`): `s` followed by
/// an events-stream position. A `/sync` token (``SyncToken``, whose first position is the events
/// stream's) is accepted too, as the spec lets clients paginate from `next_batch`. Any other
/// text is `400 M_INVALID_PARAM`.
public enum TimelineToken {
    public static func encode(_ position: Int64) -> String { "s\(position)" }

    public static func decode(_ token: String) throws(MatrixError) -> Int64 {
        guard token.hasPrefix("s"), let position = Int64(token.dropFirst().prefix { $0 != "_" }), position >= 0,
              (try? SyncToken(parsing: token)) != nil else {
            throw MatrixError(.invalidParam, "Invalid pagination token")
        }
        return position
    }
}
