/// The reply of the registries' change scripts: a counter's position, then pairs of a name and
/// an array (a room and its typing users, a user and their presence fields).
struct CounterReply {
    let position: Int64
    let entries: [(name: String, values: [RedisValue])]

    init(_ reply: RedisValue) throws {
        guard let items = reply.array, let position = items.first?.integer, items.count % 2 == 1 else {
            throw StreamReply.unexpected(reply)
        }
        var entries: [(name: String, values: [RedisValue])] = []
        for index in stride(from: 1, to: items.count, by: 2) {
            guard let name = items[index].string, let values = items[index + 1].array else {
                throw StreamReply.unexpected(reply)
            }
            entries.append((name, values))
        }
        self.position = Int64(position)
        self.entries = entries
    }

    /// The start of a script replying this way (`KEYS[1]` the counter, `ARGV[1]` the position
    /// asked about): `position`, `after` (0 when ahead of the counter: Redis lost its data) and
    /// `result`, holding the position.
    static let scriptPrelude = """
        local position = tonumber(redis.call('GET', KEYS[1]) or '0')
        local after = tonumber(ARGV[1])
        if after > position then after = 0 end
        local result = {position}

        """

    /// The counter at `key` (0 before its first change).
    static func read(_ key: String, on connection: RedisConnection) async throws -> Int64 {
        let reply = try await connection.send(["GET", key], retryOnReconnect: true)
        if reply.isNull { return 0 }
        guard let text = reply.string, let position = Int64(text) else { throw StreamReply.unexpected(reply) }
        return position
    }

    /// A reply's strings, or ``StreamReply/unexpected(_:)`` for anything else.
    static func strings(_ values: [RedisValue], of reply: RedisValue) throws -> [String] {
        try values.map { value in
            guard let string = value.string else { throw StreamReply.unexpected(reply) }
            return string
        }
    }
}
