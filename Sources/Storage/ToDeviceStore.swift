import Logging
import PostgresNIO

/// A message for one device, as `/sendToDevice` queues it.
public struct OutgoingDeviceMessage: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    /// The event the device receives: `{"sender", "type", "content"}`.
    public var json: String

    public init(userID: String, deviceID: String, json: String) {
        self.userID = userID
        self.deviceID = deviceID
        self.json = json
    }
}

/// A queued message and its position in the to-device stream.
public struct QueuedDeviceMessage: Sendable, Equatable {
    public var position: Int64
    public var json: String
}

/// Messages sent to devices, each at a position of the to-device stream (``StreamHead/toDevice``),
/// kept until the device acknowledges them by syncing with a token past them.
public struct ToDeviceStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Queues `messages` unless the sender's device already used `transactionID`; returns the
    /// position of the last message queued, or `nil` for a repeated transaction (or no message).
    /// Messages for devices that no longer exist are dropped, and so is everything when the
    /// sender's own device was deleted meanwhile.
    ///
    /// One statement, so the stream head's row lock is taken last and held only for the commit.
    public func send(
        _ messages: [OutgoingDeviceMessage], from sender: String, device senderDevice: String, transactionID: String
    ) async throws -> Int64? {
        let rows = try await database.client.query(
            """
            WITH txn AS (
                INSERT INTO to_device_transactions (user_id, device_id, txn_id, created_ts)
                SELECT user_id, device_id, \(transactionID), \(unixMilliseconds()) FROM devices
                WHERE user_id = \(sender) AND device_id = \(senderDevice)
                ON CONFLICT DO NOTHING RETURNING 1
            ), message AS (
                SELECT m.user_id, m.device_id, m.json, row_number() OVER (ORDER BY m.ordinal) AS n
                FROM unnest(\(messages.map(\.userID))::text[], \(messages.map(\.deviceID))::text[],
                            \(messages.map(\.json))::text[]) WITH ORDINALITY AS m(user_id, device_id, json, ordinal)
                JOIN devices USING (user_id, device_id)
                WHERE EXISTS (SELECT 1 FROM txn)
            ), \(unescaped: StreamHead.toDevice.advance(byParameter: "(SELECT count(*) FROM message)"))
            INSERT INTO to_device_messages (stream_id, user_id, device_id, message_json)
            SELECT head.position - (SELECT count(*) FROM message) + message.n, message.user_id, message.device_id,
                   message.json
            FROM head, message
            RETURNING stream_id
            """,
            logger: database.queryLogger("insert_to_device_messages")
        )
        var last: Int64?
        for try await position in rows.decode(Int64.self) { last = max(last ?? position, position) }
        return last
    }

    /// Deletes the device's messages up to `after`, which a sync token has acknowledged, and
    /// returns those in `(after, upTo]`, oldest first, at most `limit`: one round trip.
    public func acknowledgeAndRead(for userID: String, device deviceID: String, after: Int64, upTo: Int64, limit: Int)
        async throws -> [QueuedDeviceMessage] {
        guard after > 0 || upTo > after else { return [] }
        let rows = try await database.client.query(
            """
            WITH acknowledged AS (
                DELETE FROM to_device_messages
                WHERE user_id = \(userID) AND device_id = \(deviceID) AND stream_id <= \(after)
            )
            SELECT stream_id, message_json FROM to_device_messages
            WHERE user_id = \(userID) AND device_id = \(deviceID) AND stream_id > \(after) AND stream_id <= \(upTo)
            ORDER BY stream_id LIMIT \(limit)
            """,
            logger: database.queryLogger("acknowledge_and_select_to_device_messages")
        )
        var messages: [QueuedDeviceMessage] = []
        for try await (position, json) in rows.decode((Int64, String).self) {
            messages.append(QueuedDeviceMessage(position: position, json: json))
        }
        return messages
    }
}
