import MatrixCore
import Testing

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test("the spec appendix example")
    func specExample() throws {
        let value = try JSONValue(parsing: #"{"one": 1, "two": "Two"}"#)
        #expect(try value.canonicalJSON() == #"{"one":1,"two":"Two"}"#)
    }

    @Test("keys sort by code point: U+FF61 before U+1F600 (UTF-16 order would differ)")
    func codePointOrder() throws {
        let value: JSONValue = ["\u{1F600}": 1, "\u{FF61}": 2, "a": 3, "B": 4]
        #expect(Array(try value.canonicalJSONBytes()) == Array(#"{"B":4,"a":3,"｡":2,"😀":1}"#.utf8))
    }

    @Test("precomposed and decomposed é are different keys")
    func noNormalisation() throws {
        var object = JSONObject()
        object["e\u{301}"] = 1
        object["\u{E9}"] = 2
        #expect(object.count == 2)
        #expect(object["e\u{301}"] == 1)
        #expect(object["\u{E9}"] == 2)
        #expect(Array(try object.canonicalJSONBytes()) == Array("{\"e\u{301}\":1,\"\u{E9}\":2}".utf8))
    }

    @Test("escaping matches Synapse: short escapes, lowercase \\u00xx, DEL and U+2028 raw")
    func escaping() throws {
        let value = JSONValue.string("\"\\/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F}\u{2028}é")
        #expect(Array(try value.canonicalJSONBytes()) == Array("\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7F}\u{2028}é\"".utf8))
    }

    @Test("strict mode rejects floats and integers beyond ±(2^53−1)")
    func strict() throws {
        #expect(try JSONValue.integer(9_007_199_254_740_991).canonicalJSON() == "9007199254740991")
        #expect(throws: CanonicalJSONError.integerOutOfRange(9_007_199_254_740_992)) {
            try JSONValue.integer(9_007_199_254_740_992).canonicalJSON()
        }
        #expect(throws: CanonicalJSONError.floatNotAllowed(1.0)) { try (["n": 1.0] as JSONValue).canonicalJSON() }
    }

    @Test("lenient mode prints floats as Python's repr does", arguments: [
        (1.0, "1.0"), (1.5, "1.5"), (1000.0, "1000.0"), (-0.0, "-0.0"), (3.14, "3.14"), (0.0001, "0.0001"),
        (0.00001, "1e-05"), (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1.5e16, "1.5e+16"), (1e-300, "1e-300"),
        (1e20, "100000000000000000000"),
    ])
    func lenientFloats(_ value: Double, _ expected: String) throws {
        #expect(try JSONValue.float(value).canonicalJSON(strict: false) == expected)
    }

    @Test("lenient mode rejects NaN; jsonString() renders it as null")
    func nonFinite() throws {
        #expect(throws: CanonicalJSONError.nonFiniteFloat) { try JSONValue.float(.nan).canonicalJSON(strict: false) }
        #expect(JSONValue.array([.float(.infinity)]).jsonString() == "[null]")
    }

    @Test("a string's JSON text is the one its value encodes to, escapes or not", arguments: [
        "@alice:example.org", "", "Ä 🎉", "quote \" and \\ backslash", "line\nbreak\u{1}",
    ])
    func stringText(string: String) {
        var text = "prefix:"
        JSONValue.appendJSONText(ofString: string, to: &text)
        #expect(text == "prefix:" + JSONValue.string(string).jsonString())
    }

    @Test("keys compare by their UTF-8 bytes: prefixes first, canonically equivalent spellings apart")
    func utf8Order() throws {
        #expect("abc".utf8Order(comparedTo: "abc") == 0)
        #expect("".utf8Order(comparedTo: "") == 0)
        #expect("ab".utf8Order(comparedTo: "abc") < 0)
        #expect("abd".utf8Order(comparedTo: "abc") > 0)
        #expect("Z".utf8Order(comparedTo: "a") < 0)
        #expect("z".utf8Order(comparedTo: "\u{e9}") < 0)
        // Equal under `==`, different keys here: "e" (0x65) comes before "é" (0xC3 0xA9).
        #expect("e\u{301}" == "\u{e9}")
        #expect("e\u{301}".utf8Order(comparedTo: "\u{e9}") < 0)
        let object: JSONObject = ["\u{e9}": 2, "e\u{301}": 1, "z": 3]
        #expect(object.keys.map { Array($0.utf8) } == ["e\u{301}", "z", "\u{e9}"].map { Array($0.utf8) })
        #expect(Array(try JSONValue.object(object).canonicalJSON().utf8)
                == Array(#"{"e\#u{301}":1,"z":3,"\#u{e9}":2}"#.utf8))
    }
}
