extension String {
    /// `self` with `\`, `%` and `_` escaped, so that it matches itself inside a `LIKE` pattern.
    var likeEscaped: String {
        var escaped = ""
        for character in self {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// A case-insensitive `LIKE` pattern matching any text that contains `self`. Compare it with
    /// `lower(column)`.
    var containsPattern: String { "%" + lowercased().likeEscaped + "%" }
}
