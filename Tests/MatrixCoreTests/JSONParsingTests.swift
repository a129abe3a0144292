import MatrixCore
import SeededRandom
import Testing

@Suite("JSON parsing")
struct JSONParsingTests {
    @Test("integers stay exact Int64 values, even beyond 2^53")
    func exactIntegers() throws {
        #expect(try JSONValue(parsing: "9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try JSONValue(parsing: "9223372036854775807") == .integer(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .integer(.min))
        #expect(try JSONValue(parsing: "-0") == .integer(0))
    }

    @Test("fractions, exponents and integers beyond Int64 become floats")
    func floats() throws {
        #expect(try JSONValue(parsing: "1.5") == .float(1.5))
        #expect(try JSONValue(parsing: "1e3") == .float(1000))
        #expect(try JSONValue(parsing: "-0.0") == .float(-0.0))
        #expect(try JSONValue(parsing: "9223372036854775808") == .float(9_223_372_036_854_775_808))
    }

    @Test("duplicate keys: the last one wins, as in Synapse")
    func duplicateKeys() throws {
        #expect(try JSONValue(parsing: #"{"a": 1, "a": 2}"#) == ["a": 2])
    }

    @Test("escapes decode, including surrogate pairs")
    func escapes() throws {
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONValue(parsing: #""\ud83d\ude00\u00e9""#) == .string("😀é"))
    }

    @Test("rejects non-JSON", arguments: [
        "", " ", "{", "[1,]", #"{"a":1,}"#, "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1", "1e",
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, "\"\u{1}\"", #""\x""#, "tru", "nul", "[1] 2", "{'a':1}",
        #"{"a" 1}"#, "1e400", "//", "\"unterminated",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("rejects invalid UTF-8 inside strings")
    func invalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: bytes) }
    }

    @Test("nesting is limited so hostile input cannot exhaust the stack")
    func depthLimit() throws {
        let deepest = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        _ = try JSONValue(parsing: deepest)
        let tooDeep = String(repeating: "[", count: JSONValue.maximumDepth + 1) + String(repeating: "]", count: JSONValue.maximumDepth + 1)
        #expect(throws: JSONParseError(.tooDeep, at: JSONValue.maximumDepth)) { try JSONValue(parsing: tooDeep) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: #"{"a":"#, count: 100_000)) }
    }

    @Test("random garbage never crashes the parser")
    func garbage() throws {
        var generator = SplitMix64(seed: 0x7E11_15)
        let alphabet = Array(#"{}[],:"\ -.0123456789eEtrufalsn\u00"#.utf8) + [0x00, 0xFF, 0xC3, 0xED]
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 40)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            if let value = try? JSONValue(parsing: bytes) {
                // Whatever parses must re-parse to the same value from its own encoding.
                #expect(try JSONValue(parsing: value.jsonString()) == value)
            }
        }
    }
}
