/// A JSON object whose keys are compared by Unicode code points.
///
/// Swift `String` equality uses canonical equivalence, so `"é"` (U+00E9) and `"e\u{301}"`
/// would collide in a `[String: JSONValue]`. Canonical JSON treats them as different keys,
/// so this type compares, hashes and orders keys by their UTF-8 bytes, which is the same as
/// comparing Unicode scalar values.
///
/// Iteration yields members in code-point order of their keys, the order canonical JSON uses.
public struct JSONObject: Sendable, Hashable {
    private var storage: [MemberKey: JSONValue]

    /// An empty object.
    public init() { storage = [:] }

    /// The member named `key`; assigning `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { storage[MemberKey(key)] }
        set { storage[MemberKey(key)] = newValue }
    }

    /// The keys, in code-point order.
    public var keys: [String] { sortedKeys.map(\.string) }

    /// The number of members.
    public var count: Int { storage.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { storage.isEmpty }

    /// Removes and returns the member named `key`.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        storage.removeValue(forKey: MemberKey(key))
    }

    /// Whether a member named `key` exists.
    public func contains(key: String) -> Bool { storage[MemberKey(key)] != nil }

    /// A copy holding only the members whose keys are in `keys`.
    public func filter(keys: Set<String>) -> JSONObject {
        var result = JSONObject()
        for key in keys { if let value = self[key] { result[key] = value } }
        return result
    }

    private var sortedKeys: [MemberKey] { storage.keys.sorted() }
}

extension JSONObject {
    /// A dictionary key compared by its UTF-8 bytes (equivalently, by Unicode scalars).
    private struct MemberKey: Hashable, Comparable, Sendable {
        let string: String

        init(_ string: String) { self.string = string }

        static func == (lhs: MemberKey, rhs: MemberKey) -> Bool {
            lhs.string.utf8Order(comparedTo: rhs.string) == 0
        }

        static func < (lhs: MemberKey, rhs: MemberKey) -> Bool {
            lhs.string.utf8Order(comparedTo: rhs.string) < 0
        }

        func hash(into hasher: inout Hasher) {
            var string = string
            string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }
}

extension JSONObject: Sequence {
    /// Iterates members in code-point order of their keys.
    public func makeIterator() -> some IteratorProtocol<(key: String, value: JSONValue)> {
        storage.sorted { $0.key < $1.key }.lazy.map { (key: $0.key.string, value: $0.value) }.makeIterator()
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Later duplicates win, as in a parsed document.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}

extension JSONObject: CustomStringConvertible {
    /// Compact JSON text (see ``JSONValue/jsonString()``).
    public var description: String { JSONValue.object(self).jsonString() }
}
