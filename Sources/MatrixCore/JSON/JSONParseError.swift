/// Why a byte sequence is not acceptable JSON text.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Sendable, Equatable {
        case unexpectedEndOfInput
        case unexpectedByte(UInt8)
        case invalidNumber
        /// A number whose value is not finite as a `Double` (for example `1e400`).
        case numberOutOfRange
        case invalidEscape
        /// A `\uD800`-style escape without its other half; it cannot be encoded as UTF-8.
        case loneSurrogate
        case controlCharacterInString
        case invalidUTF8
        /// Nesting deeper than ``JSONValue/maximumDepth``.
        case tooDeep
        case trailingData
    }

    public var reason: Reason
    /// Byte offset into the input where the problem was found.
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what = switch reason {
        case .unexpectedEndOfInput: "unexpected end of input"
        case .unexpectedByte(let byte): "unexpected byte 0x\(String(byte, radix: 16))"
        case .invalidNumber: "invalid number"
        case .numberOutOfRange: "number out of range"
        case .invalidEscape: "invalid escape sequence"
        case .loneSurrogate: "lone UTF-16 surrogate in \\u escape"
        case .controlCharacterInString: "unescaped control character in string"
        case .invalidUTF8: "invalid UTF-8"
        case .tooDeep: "nesting too deep"
        case .trailingData: "unexpected data after the JSON value"
        }
        return "\(what) at byte \(offset)"
    }
}
