/// A reply from Redis, converted from hiredis' `redisReply` (RESP2).
///
/// A top-level error reply is not returned as ``error(_:)``: ``RedisConnection/send(_:retryOnReconnect:timeout:)``
/// throws it as a ``RedisError`` with code ``RedisError/Code/server``. ``error(_:)`` only appears nested,
/// for example inside the array that `EXEC` returns.
public enum RedisValue: Sendable, Hashable {
    /// A simple string (`+OK`).
    case status(String)
    /// An error reply nested inside an array (`-ERR …`).
    case error(String)
    /// An integer (`:1`).
    case integer(Int)
    /// A binary-safe bulk string (`$3\r\nfoo`).
    case bulkString([UInt8])
    /// An array (`*2…`).
    case array([RedisValue])
    /// The null bulk string or null array (`$-1`, `*-1`).
    case null
}

extension RedisValue {
    /// The value as text: bulk strings decoded as UTF-8, statuses, and integers in decimal.
    public var string: String? {
        switch self {
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        case .error, .array, .null: nil
        }
    }

    /// The raw bytes of a bulk string or status.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The value as an integer: integer replies, and bulk strings holding a decimal number.
    public var integer: Int? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes): Int(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    public var isNull: Bool {
        if case .null = self { true } else { false }
    }
}

extension RedisValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .status(let text): "+\(text)"
        case .error(let text): "-\(text)"
        case .integer(let value): ":\(value)"
        case .bulkString(let bytes): String(reflecting: String(decoding: bytes, as: UTF8.self))
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        }
    }
}
