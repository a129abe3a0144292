import Hummingbird
import MatrixCore

/// A JSON object response whose members are values or JSON texts serialized already, such as
/// client events formatted straight from storage, which are written out without being parsed
/// again. Keys come out sorted, as in every other response.
struct JSONTextObject: ResponseGenerator {
    /// Serialized member values by key.
    private var members: [String: String] = [:]

    init() {}

    /// Sets the member `key` to `value`.
    mutating func set(_ key: String, _ value: JSONValue) {
        members[key] = value.jsonString()
    }

    /// Sets the member `key` to the array of the JSON texts `elements`.
    mutating func set(_ key: String, array elements: [String]) {
        members[key] = "[" + elements.joined(separator: ",") + "]"
    }

    /// Sets the member `key` to the JSON text `text`.
    mutating func set(_ key: String, text: String) {
        members[key] = text
    }

    /// Sets the member `key` to the object `object`.
    mutating func set(_ key: String, object: JSONTextObject) {
        members[key] = object.text
    }

    /// The object's JSON text, written into one string sized up front: a `/sync` response nests
    /// dozens of these, and joining intermediate strings cost more than the rest of writing it.
    var text: String {
        var text = "{"
        text.reserveCapacity(members.reduce(2) { size, member in size + member.key.utf8.count + member.value.utf8.count + 4 })
        for (index, (key, value)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { text += "," }
            text += JSONValue.jsonText(ofString: key)
            text += ":"
            text += value
        }
        text += "}"
        return text
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
