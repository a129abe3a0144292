/// Appends entries to replication streams (`XADD <key> MAXLEN ~ <maxLength> * field value …`).
///
/// `XADD` is not retried when the link drops while it is in flight (it could append twice): it then throws
/// ``RedisError/Code/connectionLost``. A link that Redis closed while idle (a restart) is replaced before sending,
/// so publishing after a restart just works.
public struct StreamPublisher: Sendable {
    public let connection: RedisConnection
    /// Approximate cap of every stream written (`MAXLEN ~`); Redis trims whole macro nodes, so a stream can hold a
    /// little more.
    public let maxLength: Int

    public init(connection: RedisConnection, maxLength: Int = 100_000) {
        self.connection = connection
        self.maxLength = maxLength
    }

    /// Appends one entry; fields are written in key order. Returns the id Redis gave it.
    @discardableResult
    public func publish(_ stream: StreamName, fields: [String: String]) async throws -> StreamEntryID {
        guard !fields.isEmpty else { throw RedisError(.invalidArgument, "a stream entry needs at least one field") }
        var arguments = ["XADD", stream.key, "MAXLEN", "~", String(maxLength), "*"]
        arguments.reserveCapacity(arguments.count + fields.count * 2)
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            arguments.append(name)
            arguments.append(value)
        }
        let reply = try await connection.send(arguments)
        guard let text = reply.string, let id = StreamEntryID(text) else { throw StreamReply.unexpected(reply) }
        ReplicationMetrics.published(stream, fields: fields)
        return id
    }
}
