extension String {
    /// The text itself, or `400 M_INVALID_PARAM` when it holds U+0000: no identifier or key ID
    /// may, and PostgreSQL cannot store it as text.
    public func rejectingNUL(_ what: String) throws(MatrixError) -> String {
        guard !unicodeScalars.contains("\0") else { throw MatrixError(.invalidParam, "\(what) must not contain NUL") }
        return self
    }
}
