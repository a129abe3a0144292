/// Matrix canonical JSON: https://spec.matrix.org/v1.16/appendices/#canonical-json
///
/// Keys are sorted by Unicode code point, there is no insignificant whitespace, strings are
/// UTF-8 with only `"`, `\` and control characters escaped (`\b \f \n \r \t`, otherwise
/// `\u00xx` in lowercase), exactly as Synapse's `canonicaljson.encode_canonical_json`.
extension JSONValue {
    /// The smallest and largest integers strict canonical JSON allows: ±(2^53 − 1).
    public static let canonicalIntegerRange: ClosedRange<Int64> = -(1 << 53 - 1)...(1 << 53 - 1)

    /// Canonical JSON text.
    ///
    /// - Parameter strict: `true` (the default) rejects floats and integers outside
    ///   ``canonicalIntegerRange``, as room versions 6 and later require. `false` encodes them
    ///   the way Synapse's encoder does for room versions 1 to 5: floats in Python's `repr`
    ///   form (`1.0`, `1e+16`), and integral floats beyond `Int64` (big integers that the
    ///   parser had to store as `Double`) as plain digits.
    public func canonicalJSON(strict: Bool = true) throws(CanonicalJSONError) -> String {
        String(decoding: try canonicalJSONBytes(strict: strict), as: UTF8.self)
    }

    /// Canonical JSON as UTF-8 bytes; see ``canonicalJSON(strict:)``.
    public func canonicalJSONBytes(strict: Bool = true) throws(CanonicalJSONError) -> [UInt8] {
        var encoder = CanonicalJSONEncoder(mode: strict ? .strict : .lenient)
        try encoder.encode(self)
        return encoder.output
    }

    /// Appends the JSON text of the string value `string` to `text`, as ``jsonString()`` writes
    /// `.string(string)`, without building a value or an intermediate string (identifiers in
    /// responses rarely need escaping).
    public static func appendJSONText(ofString string: String, to text: inout String) {
        writeJSONText(ofString: string) { text.append($0) }
    }

    /// Writes the JSON text of the string value `string` in pieces through `write`: `string`
    /// between quotes when it needs no escaping, else its escaped text.
    @inlinable
    public static func writeJSONText(ofString string: String, _ write: (String) -> Void) {
        guard needsNoEscaping(string) else { return write(JSONValue.string(string).jsonString()) }
        write("\"")
        write(string)
        write("\"")
    }

    /// Whether the JSON text of the string value `string` is `string` between quotes: it holds no
    /// control character, quote or backslash to escape.
    public static func needsNoEscaping(_ string: String) -> Bool {
        // Over the string's bytes in memory when it has them (native strings do): walking the
        // UTF-8 view index by index costs several times more, and responses check every string.
        string.utf8.withContiguousStorageIfAvailable { !$0.contains(where: isEscaped) }
            ?? !string.utf8.contains(where: isEscaped)
    }

    /// Whether a string's UTF-8 byte `byte` is escaped in JSON text.
    private static func isEscaped(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Compact JSON text for responses: lenient canonical JSON, with NaN and infinities as `null`.
    public func jsonString() -> String {
        var encoder = CanonicalJSONEncoder(mode: .bestEffort)
        // `.bestEffort` never throws.
        try? encoder.encode(self)
        return String(decoding: encoder.output, as: UTF8.self)
    }
}

extension JSONObject {
    /// Canonical JSON text of this object; see ``JSONValue/canonicalJSON(strict:)``.
    public func canonicalJSON(strict: Bool = true) throws(CanonicalJSONError) -> String {
        try JSONValue.object(self).canonicalJSON(strict: strict)
    }

    /// Canonical JSON bytes of this object; see ``JSONValue/canonicalJSON(strict:)``.
    public func canonicalJSONBytes(strict: Bool = true) throws(CanonicalJSONError) -> [UInt8] {
        try JSONValue.object(self).canonicalJSONBytes(strict: strict)
    }

    /// Compact JSON text; see ``JSONValue/jsonString()``.
    public func jsonString() -> String { JSONValue.object(self).jsonString() }
}

struct CanonicalJSONEncoder {
    enum Mode {
        /// Room v6+ rules: integers within ±(2^53−1) only.
        case strict
        /// Synapse's `encode_canonical_json`: floats allowed, NaN and infinities rejected.
        case lenient
        /// Like `.lenient`, but NaN and infinities become `null` instead of failing.
        case bestEffort
    }

    let mode: Mode
    private(set) var output: [UInt8] = []

    init(mode: Mode) { self.mode = mode }

    mutating func encode(_ value: JSONValue) throws(CanonicalJSONError) {
        switch value {
        case .null: append("null")
        case .bool(let bool): append(bool ? "true" : "false")
        case .integer(let integer):
            if mode == .strict, !JSONValue.canonicalIntegerRange.contains(integer) {
                throw .integerOutOfRange(integer)
            }
            append(String(integer))
        case .float(let double):
            try encode(double)
        case .string(let string):
            encode(string)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                try encode(element)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                encode(key)
                output.append(UInt8(ascii: ":"))
                try encode(member)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private mutating func encode(_ double: Double) throws(CanonicalJSONError) {
        switch mode {
        case .strict:
            throw .floatNotAllowed(double)
        case .lenient where !double.isFinite:
            throw .nonFiniteFloat
        case .bestEffort where !double.isFinite:
            append("null")
        case .lenient, .bestEffort:
            append(PythonFloatFormat.repr(double))
        }
    }

    private mutating func encode(_ string: String) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                append("\\u00")
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: String) { output.append(contentsOf: text.utf8) }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
