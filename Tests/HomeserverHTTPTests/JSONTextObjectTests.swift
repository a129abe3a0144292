@testable import HomeserverHTTP
import MatrixCore
import NIOCore
import Testing

@Suite("JSON text objects")
struct JSONTextObjectTests {
    @Test("members come out sorted by key whatever order they were set in, and parse back to the values set")
    func sortedAndFaithful() throws {
        var inner = JSONTextObject()
        inner.set("z", integer: -3)
        inner.set("a", bool: false)
        var object = JSONTextObject()
        object.set("text", text: #"{"pre":"formatted"}"#)
        object.set("b", string: "quote \" backslash \\ newline \n control \u{01}")
        object.set("array", array: ["1", #"{"x":[]}"#])
        object.set("strings", strings: ["@a:x", "tab\t"])
        object.set("empty", strings: [])
        object.set("inner", object: inner)
        object.set("value", .object(["k": .integer(1)]))
        object.set("count", integer: 12)
        object.set("ké\"y", string: "ünï🙂")

        let expected: JSONValue = .object([
            "text": .object(["pre": "formatted"]),
            "b": .string("quote \" backslash \\ newline \n control \u{01}"),
            "array": .array([.integer(1), .object(["x": .array([])])]),
            "strings": .array(["@a:x", "tab\t"]),
            "empty": .array([]),
            "inner": .object(["z": .integer(-3), "a": .bool(false)]),
            "value": .object(["k": .integer(1)]),
            "count": .integer(12),
            "ké\"y": .string("ünï🙂"),
        ])
        #expect(try JSONValue(parsing: object.text) == expected)
        // Sorted keys and compact output: the same text the canonical encoder writes.
        #expect(object.text == expected.jsonString())
    }

    @Test("setting a key again replaces its value")
    func replaces() {
        var object = JSONTextObject()
        object.set("m", string: "first")
        object.set("a", integer: 1)
        object.set("z", integer: 2)
        object.set("m", strings: ["second"])
        object.set("a", bool: true)
        #expect(object.text == #"{"a":true,"m":["second"],"z":2}"#)
    }

    @Test("keys are ordered and told apart by their UTF-8 bytes, as canonical JSON orders them")
    func keysByBytes() {
        var object = JSONTextObject()
        // "é" as one scalar and as "e" with a combining accent: equal as Swift strings, two keys here.
        object.set("e\u{301}", integer: 1)
        object.set("\u{e9}", integer: 2)
        object.set("z", integer: 3)
        object.set("ab", integer: 4)
        object.set("a", integer: 5)
        object.set("", integer: 6)
        // Compared as bytes: `==` on strings would take the two spellings of "é" for one.
        let expected = "{\"\":6,\"a\":5,\"ab\":4,\"e\u{301}\":1,\"z\":3,\"\u{e9}\":2}"
        #expect(Array(object.text.utf8) == Array(expected.utf8))
        #expect(Array(object.bytes.readableBytesView) == Array(expected.utf8))
    }

    @Test("an empty object and many members in reverse order")
    func emptyAndMany() {
        #expect(JSONTextObject().text == "{}")
        var object = JSONTextObject()
        for index in (0..<50).reversed() { object.set("k\(1000 + index)", integer: index) }
        let keys = (0..<50).map { "\"k\(1000 + $0)\":\($0)" }
        #expect(object.text == "{" + keys.joined(separator: ",") + "}")
    }
}
