/// Finds members of a JSON object's top level in its text without parsing their values.
///
/// Serving stored events means copying a few of their members (an event's `content`) into a
/// response; parsing the whole event into ``JSONValue``s and encoding it again costs far more
/// than copying the member's bytes. The scanner walks the text once, skipping nested values by
/// counting brackets outside strings, and returns each wanted member's value as the exact text it
/// has in the input.
///
/// Keys are compared as they are written: a key spelled with escapes (`"\u0074ype"`) does not
/// match `type`. Canonical JSON, the form events are stored in, never escapes letters.
public enum JSONMemberScanner {
    /// The text of the top-level members of the object `json` whose keys are in `keys`.
    ///
    /// Throws ``JSONParseError`` when `json` is not an object or its structure is broken; the
    /// values it skips are checked only as far as brackets and strings go.
    public static func members(_ keys: Set<String>, of json: String) throws(JSONParseError) -> [String: Substring] {
        var found: [String: Substring] = [:]
        let utf8 = json.utf8
        var index = utf8.startIndex
        skipWhitespace(utf8, &index)
        guard index < utf8.endIndex, utf8[index] == UInt8(ascii: "{") else { throw error(utf8, index) }
        utf8.formIndex(after: &index)
        skipWhitespace(utf8, &index)
        if index < utf8.endIndex, utf8[index] == UInt8(ascii: "}") { return found }
        while true {
            skipWhitespace(utf8, &index)
            let keyStart = index
            try skipString(utf8, &index)
            let key = json[utf8.index(after: keyStart)..<utf8.index(before: index)]
            skipWhitespace(utf8, &index)
            guard index < utf8.endIndex, utf8[index] == UInt8(ascii: ":") else { throw error(utf8, index) }
            utf8.formIndex(after: &index)
            skipWhitespace(utf8, &index)
            let valueStart = index
            try skipValue(utf8, &index)
            if keys.contains(String(key)) { found[String(key)] = json[valueStart..<index] }
            skipWhitespace(utf8, &index)
            guard index < utf8.endIndex else { throw error(utf8, index) }
            switch utf8[index] {
            case UInt8(ascii: ","): utf8.formIndex(after: &index)
            case UInt8(ascii: "}"): return found
            default: throw error(utf8, index)
            }
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func skipWhitespace(_ utf8: String.UTF8View, _ index: inout String.Index) {
        while index < utf8.endIndex, isWhitespace(utf8[index]) { utf8.formIndex(after: &index) }
    }

    /// Moves past the string starting at `index`, escapes included.
    private static func skipString(_ utf8: String.UTF8View, _ index: inout String.Index) throws(JSONParseError) {
        guard index < utf8.endIndex, utf8[index] == UInt8(ascii: "\"") else { throw error(utf8, index) }
        utf8.formIndex(after: &index)
        while index < utf8.endIndex {
            switch utf8[index] {
            case UInt8(ascii: "\""):
                utf8.formIndex(after: &index)
                return
            case UInt8(ascii: "\\"):
                utf8.formIndex(after: &index)
                guard index < utf8.endIndex else { break }
                utf8.formIndex(after: &index)
            default:
                utf8.formIndex(after: &index)
            }
        }
        throw error(utf8, index)
    }

    /// Moves past the value starting at `index`: a string, or everything up to the bracket that
    /// closes an object or array, or a scalar up to the next delimiter.
    private static func skipValue(_ utf8: String.UTF8View, _ index: inout String.Index) throws(JSONParseError) {
        guard index < utf8.endIndex else { throw error(utf8, index) }
        switch utf8[index] {
        case UInt8(ascii: "\""):
            try skipString(utf8, &index)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < utf8.endIndex {
                switch utf8[index] {
                case UInt8(ascii: "\""):
                    try skipString(utf8, &index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        utf8.formIndex(after: &index)
                        return
                    }
                default:
                    break
                }
                utf8.formIndex(after: &index)
            }
            throw error(utf8, index)
        default:
            let start = index
            while index < utf8.endIndex {
                let byte = utf8[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || isWhitespace(byte) {
                    break
                }
                utf8.formIndex(after: &index)
            }
            if index == start { throw error(utf8, index) }
        }
    }

    private static func error(_ utf8: String.UTF8View, _ index: String.Index) -> JSONParseError {
        let offset = utf8.distance(from: utf8.startIndex, to: index)
        return index < utf8.endIndex ? JSONParseError(.unexpectedByte(utf8[index]), at: offset)
            : JSONParseError(.unexpectedEndOfInput, at: offset)
    }
}
