import MatrixCore
import Testing

@Suite("JSON member scanner")
struct JSONMemberScannerTests {
    @Test("returns the wanted top-level members as their exact text, skipping the others")
    func wantedMembers() throws {
        let json = #"{"auth_events":["$a","$b"],"content":{"body":"hi","n":[1,{"x":null}]},"depth":12,"type":"m.room.message"}"#
        let members = try JSONMemberScanner.members(["content", "depth", "missing"], of: json)
        #expect(members == ["content": #"{"body":"hi","n":[1,{"x":null}]}"#, "depth": "12"])
    }

    @Test("brackets, quotes and escapes inside strings do not end a value")
    func stringsInsideValues() throws {
        let json = #"{"a":{"s":"}]\"{[\\","t":"\u0022"},"b":"x\"y","c":true}"#
        let members = try JSONMemberScanner.members(["a", "b", "c"], of: json)
        #expect(members["a"] == #"{"s":"}]\"{[\\","t":"\u0022"}"#)
        #expect(members["b"] == #""x\"y""#)
        #expect(members["c"] == "true")
        let copied = try JSONValue(parsing: String(members["a"] ?? ""))
        #expect(copied == ["s": "}]\"{[\\", "t": "\""])
    }

    @Test("whitespace between tokens is allowed; nested keys are not top-level members")
    func whitespaceAndNesting() throws {
        let json = " { \"outer\" : { \"content\" : 1 } ,\n\t\"content\" : [ 2 , 3 ] } "
        #expect(try JSONMemberScanner.members(["content"], of: json) == ["content": "[ 2 , 3 ]"])
        #expect(try JSONMemberScanner.members(["content"], of: "{}") == [:])
    }

    @Test("text that is not an object, or is cut short, throws")
    func malformed() {
        for json in ["[1]", #""s""#, #"{"a":1"#, #"{"a":{"b":1}"#, #"{"a":"x}"#, #"{"a" 1}"#, #"{"a":}"#, ""] {
            #expect(throws: JSONParseError.self, "\(json)") { try JSONMemberScanner.members(["a"], of: json) }
        }
    }
}
