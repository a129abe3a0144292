import Hummingbird
import MatrixCore

/// A JSON object response whose members are values or JSON texts serialized already, such as
/// client events formatted straight from storage, which are written out without being parsed
/// again. Keys come out sorted by code point (their UTF-8 bytes), as the canonical encoder
/// writes every other response.
///
/// Nested objects and arrays of texts are kept as they are and written out once, into one
/// buffer of its exact size that becomes the response body: a `/sync` response nests dozens of
/// them, and serializing each into a string of its own cost more than the rest of writing the
/// response. The dozens of small pieces (a comma, a key, a quote) are written through a raw
/// pointer, where a `ByteBuffer` checks its storage and exclusive access for every write.
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
        while index > members.startIndex, key.utf8Order(comparedTo: members[index - 1].key) < 0 { index -= 1 }
        if index > members.startIndex, members[index - 1].key.utf8Order(comparedTo: key) == 0 {
            members[index - 1].value = member
        } else if index == members.endIndex {
            members.append((key, member))
        } else {
            members.insert((key, member), at: index)
        }
    }

    /// The object's JSON text.
    var text: String {
        let count = byteCount
        return String(unsafeUninitializedCapacity: count) { memory in
            var writer = ByteWriter(memory: UnsafeMutableRawBufferPointer(memory))
            write(to: &writer)
            return writer.count
        }
    }

    /// The object's JSON text as a response body, written into one buffer of its size.
    var bytes: ByteBuffer {
        let count = byteCount
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { memory in
            var writer = ByteWriter(memory: memory)
            write(to: &writer)
            return writer.count
        }
        return buffer
    }

    /// The text's length in bytes: what ``write(to:)`` writes, counted by writing it nowhere.
    private var byteCount: Int {
        var counter = ByteCounter()
        write(to: &counter)
        return counter.count
    }

    private func write(to output: inout some ByteSink) {
        output.append(UInt8(ascii: "{"))
        for index in members.indices {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            Self.writeString(members[index].key, to: &output)
            output.append(UInt8(ascii: ":"))
            switch members[index].value {
            case .text(let value):
                output.append(value)
            case .string(let string):
                Self.writeString(string, to: &output)
            case .array(let elements):
                Self.writeArray(elements, to: &output) { element, output in output.append(element) }
            case .strings(let strings):
                Self.writeArray(strings, to: &output) { string, output in Self.writeString(string, to: &output) }
            case .object(let object):
                object.write(to: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }

    /// Writes `string` as a JSON string.
    private static func writeString<Sink: ByteSink>(_ string: String, to output: inout Sink) {
        JSONValue.writeJSONText(ofString: string) { output.append($0) }
    }

    private static func writeArray<Sink: ByteSink>(
        _ elements: [String], to output: inout Sink, _ writeElement: (String, inout Sink) -> Void
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

/// Where ``JSONTextObject`` writes its text: the same walk first counts the bytes, then writes
/// them into memory of exactly that size, with no buffer growing and no intermediate copy.
private protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(_ text: String)
}

/// Counts the bytes appended.
private struct ByteCounter: ByteSink {
    var count = 0

    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func append(_ text: String) { count += text.utf8.count }
}

/// Writes the bytes appended into `memory`, which must have room for them.
private struct ByteWriter: ByteSink {
    let memory: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    mutating func append(_ byte: UInt8) {
        precondition(count < memory.count, "JSON text longer than counted")
        memory[count] = byte
        count += 1
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            precondition(utf8.count <= memory.count - count, "JSON text longer than counted")
            UnsafeMutableRawBufferPointer(rebasing: memory[count...]).copyMemory(from: UnsafeRawBufferPointer(utf8))
            count += utf8.count
        }
    }
}
