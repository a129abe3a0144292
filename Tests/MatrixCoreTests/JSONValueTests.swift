import MatrixCore
import Testing

@Suite("JSONValue and JSONObject")
struct JSONValueTests {
    @Test("literals and accessors")
    func accessors() {
        let value: JSONValue = ["s": "x", "i": 7, "b": true, "a": [1, nil], "o": ["k": 1.5]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.integerValue == 7)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [.integer(1), .null])
        #expect(value["o"]?.objectValue?["k"] == .float(1.5))
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
    }

    @Test("objects iterate in code-point order and support removal")
    func objectOperations() {
        var object: JSONObject = ["b": 1, "a": 2, "é": 3, "Z": 4]
        #expect(object.keys == ["Z", "a", "b", "é"])
        #expect(object.map(\.key) == ["Z", "a", "b", "é"])
        #expect(object.removeValue(forKey: "a") == 2)
        #expect(object.count == 3)
        object["b"] = nil
        #expect(object.keys == ["Z", "é"])
        #expect(!object.isEmpty && JSONObject().isEmpty)
    }

    @Test("equality and hashing ignore insertion order")
    func equality() {
        let first: JSONObject = ["a": 1, "b": 2]
        let second: JSONObject = ["b": 2, "a": 1]
        #expect(first == second)
        #expect(Set([first, second]).count == 1)
    }
}
