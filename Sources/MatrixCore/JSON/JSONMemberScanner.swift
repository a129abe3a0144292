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
        var text = json
        let scanned: Result<[String: Range<Int>], JSONParseError> = text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            do throws(JSONParseError) {
                return .success(try scanner.memberRanges(keys))
            } catch {
                return .failure(error)
            }
        }
        let ranges = try scanned.get()
        let utf8 = json.utf8
        return ranges.mapValues { range in
            Substring(utf8[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)])
        }
    }

    /// A walk over the UTF-8 bytes of one JSON text.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        /// The byte ranges of the wanted top-level members' values.
        mutating func memberRanges(_ keys: Set<String>) throws(JSONParseError) -> [String: Range<Int>] {
            var found: [String: Range<Int>] = [:]
            skipWhitespace()
            try expect(UInt8(ascii: "{"))
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return found }
            while true {
                skipWhitespace()
                let keyStart = index
                try skipString()
                let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[keyStart + 1..<index - 1]), as: UTF8.self)
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let valueStart = index
                try skipValue()
                if keys.contains(key) { found[key] = valueStart..<index }
                skipWhitespace()
                guard index < bytes.count else { throw error() }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): return found
                default: throw error()
                }
            }
        }

        private mutating func expect(_ byte: UInt8) throws(JSONParseError) {
            guard index < bytes.count, bytes[index] == byte else { throw error() }
            index += 1
        }

        private static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        }

        private mutating func skipWhitespace() {
            while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
        }

        /// Moves past the string starting at `index`, escapes included.
        private mutating func skipString() throws(JSONParseError) {
            try expect(UInt8(ascii: "\""))
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 2
                default:
                    index += 1
                }
            }
            throw error()
        }

        /// Moves past the value starting at `index`: a string, or everything up to the bracket
        /// that closes an object or array, or a scalar up to the next delimiter.
        private mutating func skipValue() throws(JSONParseError) {
            guard index < bytes.count else { throw error() }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        try skipString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            return
                        }
                    default:
                        break
                    }
                    index += 1
                }
                throw error()
            default:
                let start = index
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                        || Self.isWhitespace(byte) {
                        break
                    }
                    index += 1
                }
                if index == start { throw error() }
            }
        }

        private func error() -> JSONParseError {
            index < bytes.count ? JSONParseError(.unexpectedByte(bytes[index]), at: index)
                : JSONParseError(.unexpectedEndOfInput, at: min(index, bytes.count))
        }
    }
}
