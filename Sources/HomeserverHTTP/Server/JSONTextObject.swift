import Foundation
import Hummingbird
import MatrixCore

/// A JSON object response whose members are values or JSON texts serialized already, such as
/// client events formatted straight from storage, which are written out without being parsed
/// again. Keys come out sorted by code point (their UTF-8 bytes), as the canonical encoder
/// writes every other response.
///
/// Nested objects and arrays of texts are kept as they are and written out once, into one
/// byte array sized up front that becomes the response body: a `/sync` response nests dozens of
/// them, and serializing each into a string of its own cost more than the rest of writing the
/// response. The array takes the dozens of small pieces (a comma, a key, a quote) at the cost
/// of an inlined append each, where a `ByteBuffer` checks its storage and exclusive access for
/// every write; the body is then one copy of it.
struct JSONTextObject: ResponseGenerator {
    /// A member's value, not serialized yet.
    private enum Member {
        /// A JSON text.
        case text(String)
        /// A string, written as JSON.
        case string(String)
        /// An array of the JSON texts.
        case array([String])
        /// An array of strings, written as JSON.
        case strings([String])
        case object(JSONTextObject)
    }

    /// The members, sorted by their keys' UTF-8 bytes.
    private var members: [(key: String, value: Member)] = []

    init() {}

    /// Sets the member `key` to `value`.
    mutating func set(_ key: String, _ value: JSONValue) {
        set(key, member: .text(value.jsonString()))
    }

    /// Sets the member `key` to the JSON text `text`.
    mutating func set(_ key: String, text: String) {
        set(key, member: .text(text))
    }

    /// Sets the member `key` to the string `string`.
    mutating func set(_ key: String, string: String) {
        set(key, member: .string(string))
    }

    /// Sets the member `key` to an integer.
    mutating func set(_ key: String, integer: some BinaryInteger) {
        set(key, member: .text(String(integer)))
    }

    /// Sets the member `key` to a boolean.
    mutating func set(_ key: String, bool: Bool) {
        set(key, member: .text(bool ? "true" : "false"))
    }

    /// Sets the member `key` to the array of the JSON texts `elements`.
    mutating func set(_ key: String, array elements: [String]) {
        set(key, member: .array(elements))
    }

    /// Sets the member `key` to the array of the strings `strings`.
    mutating func set(_ key: String, strings: [String]) {
        set(key, member: .strings(strings))
    }

    /// Sets the member `key` to the object `object`.
    mutating func set(_ key: String, object: JSONTextObject) {
        set(key, member: .object(object))
    }

    /// Keeps the members sorted as they are set (objects are small, and are usually set in order).
    private mutating func set(_ key: String, member: Member) {
        // Room for a typical object at once, instead of growing through 1, 2, 4 and 8.
        if members.capacity == 0 { members.reserveCapacity(8) }
        var index = members.endIndex
        while index > members.startIndex, Self.utf8Order(key, members[index - 1].key) < 0 { index -= 1 }
        if index > members.startIndex, Self.utf8Order(members[index - 1].key, key) == 0 {
            members[index - 1].value = member
        } else if index == members.endIndex {
            members.append((key, member))
        } else {
            members.insert((key, member), at: index)
        }
    }

    /// How `a` and `b` compare by their UTF-8 bytes (code points): negative, zero or positive.
    private static func utf8Order(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { a in
            b.withUTF8 { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, common))
                return order != 0 ? order : a.count - b.count
            }
        }
    }

    /// The object's JSON text.
    var text: String {
        String(decoding: utf8, as: UTF8.self)
    }

    /// The object's JSON text as a response body.
    var bytes: ByteBuffer {
        ByteBuffer(bytes: utf8)
    }

    /// The object's JSON text as UTF-8, written into one array sized up front.
    private var utf8: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(byteCount)
        write(to: &output)
        return output
    }

    /// The text's length in bytes, to reserve; strings that need escaping come out longer, and
    /// the buffer then grows past it.
    private var byteCount: Int {
        members.reduce(2) { size, member in
            let valueSize = switch member.value {
            case .text(let text): text.utf8.count
            case .string(let string): string.utf8.count + 2
            case .array(let elements): elements.reduce(2) { $0 + $1.utf8.count + 1 }
            case .strings(let strings): strings.reduce(2) { $0 + $1.utf8.count + 3 }
            case .object(let object): object.byteCount
            }
            return size + member.key.utf8.count + valueSize + 4
        }
    }

    private func write(to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        for index in members.indices {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            Self.writeString(members[index].key, to: &output)
            output.append(UInt8(ascii: ":"))
            switch members[index].value {
            case .text(let value):
                output.append(contentsOf: value.utf8)
            case .string(let string):
                Self.writeString(string, to: &output)
            case .array(let elements):
                Self.writeArray(elements, to: &output) { element, output in output.append(contentsOf: element.utf8) }
            case .strings(let strings):
                Self.writeArray(strings, to: &output) { string, output in Self.writeString(string, to: &output) }
            case .object(let object):
                object.write(to: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }

    /// Writes `string` as a JSON string.
    private static func writeString(_ string: String, to output: inout [UInt8]) {
        JSONValue.writeJSONText(ofString: string) { output.append(contentsOf: $0.utf8) }
    }

    private static func writeArray(
        _ elements: [String], to output: inout [UInt8], _ writeElement: (String, inout [UInt8]) -> Void
    ) {
        output.append(UInt8(ascii: "["))
        for index in elements.indices {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            writeElement(elements[index], &output)
        }
        output.append(UInt8(ascii: "]"))
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: bytes))
    }
}
