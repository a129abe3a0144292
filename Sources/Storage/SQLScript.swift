/// Splits a SQL script into its statements, for running migrations statement by statement.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement at a time.
/// Semicolons inside quoted strings, quoted identifiers, comments and dollar-quoted bodies
/// (`$$ … $$`, `$fn$ … $fn$`) do not end a statement. Comment-only fragments are dropped.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var hasCode = false
        var index = 0

        func emit() {
            let statement = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if hasCode, !statement.isEmpty { statements.append(statement) }
            current = String.UnicodeScalarView()
            hasCode = false
        }
        func copy(upTo end: Int) {
            current.append(contentsOf: characters[index..<min(end, characters.count)])
            index = min(end, characters.count)
        }
        func find(_ terminator: [Unicode.Scalar], from start: Int) -> Int {
            var position = start
            while position + terminator.count <= characters.count {
                if Array(characters[position..<position + terminator.count]) == terminator {
                    return position + terminator.count
                }
                position += 1
            }
            return characters.count
        }

        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "-" where next == "-":
                // Comments are dropped so that a script ending in a comment yields no empty statement.
                index = find(["\n"], from: index)
            case "/" where next == "*":
                index = find(["*", "/"], from: index + 2)
            case "'", "\"":
                hasCode = true
                copy(upTo: find([character], from: index + 1))
            case "$":
                hasCode = true
                if let tag = dollarTag(in: characters, at: index) {
                    copy(upTo: find(tag, from: index + tag.count))
                } else {
                    copy(upTo: index + 1)
                }
            case ";":
                index += 1
                emit()
            default:
                if !character.properties.isWhitespace { hasCode = true }
                copy(upTo: index + 1)
            }
        }
        emit()
        return statements
    }

    /// The `$tag$` opening a dollar-quoted string at `index`, or `nil` when `$` is something else (`$1`).
    private static func dollarTag(in characters: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < characters.count, characters[end] == "_" || characters[end].properties.isAlphabetic
            || (end > index + 1 && ("0"..."9").contains(characters[end]))
        {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        return Array(characters[index...end])
    }
}
