extension String {
    /// A case-insensitive `LIKE` pattern matching any text that contains `self`: lowercased, with
    /// `\`, `%` and `_` escaped so they match themselves. Compare it with `lower(column)`.
    var containsPattern: String {
        var escaped = ""
        for character in lowercased() {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }
}
