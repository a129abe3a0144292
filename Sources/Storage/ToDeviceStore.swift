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

/// What one sync asks of a device's queue: acknowledge the messages up to `after`, read those
/// in `(after, upTo]`.
public struct ToDeviceRead: Hashable, Sendable {
    public var device: UserDevice
    public var after: Int64
    public var upTo: Int64

    public init(device: UserDevice, after: Int64, upTo: Int64) {
        self.device = device
        self.after = after
        self.upTo = upTo
    }

    /// Before the device's first sync past a message, there is nothing to acknowledge or read.
    public var isIdle: Bool { after <= 0 && upTo <= after }
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
        let rows = try await database.query(
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
            label: "insert_to_device_messages"
        )
        var last: Int64?
        for try await position in rows.decode(Int64.self) { last = max(last ?? position, position) }
        return last
    }

    /// Deletes the device's messages up to `after`, which a sync token has acknowledged, and
    /// returns those in `(after, upTo]`, oldest first, at most `limit`: one round trip.
    public func acknowledgeAndRead(for userID: String, device deviceID: String, after: Int64, upTo: Int64, limit: Int)
        async throws -> [QueuedDeviceMessage] {
        let read = ToDeviceRead(device: UserDevice(userID: userID, deviceID: deviceID), after: after, upTo: upTo)
        return try await acknowledgeAndRead([read], limit: limit)[read] ?? []
    }

    /// ``acknowledgeAndRead(for:device:after:upTo:limit:)`` for many devices in one round trip;
    /// reads that found nothing are absent.
    public func acknowledgeAndRead(_ reads: [ToDeviceRead], limit: Int) async throws
        -> [ToDeviceRead: [QueuedDeviceMessage]] {
        let reads = reads.filter { !$0.isIdle }
        guard !reads.isEmpty else { return [:] }
        let rows = try await database.query(
            """
            WITH request AS (
                SELECT * FROM unnest(\(reads.map(\.device.userID))::text[], \(reads.map(\.device.deviceID))::text[],
                                     \(reads.map(\.after))::int8[], \(reads.map(\.upTo))::int8[])
                    WITH ORDINALITY AS r(user_id, device_id, after, up_to, ordinal)
            ), acknowledged AS (
                DELETE FROM to_device_messages AS m USING request AS r
                WHERE m.user_id = r.user_id AND m.device_id = r.device_id AND m.stream_id <= r.after
            )
            SELECT ordinal, stream_id, message_json FROM (
                SELECT r.ordinal, m.stream_id, m.message_json,
                       row_number() OVER (PARTITION BY r.ordinal ORDER BY m.stream_id) AS rank
                FROM request AS r JOIN to_device_messages AS m
                  ON m.user_id = r.user_id AND m.device_id = r.device_id
                 AND m.stream_id > r.after AND m.stream_id <= r.up_to
            ) AS ranked
            WHERE rank <= \(limit)
            ORDER BY ordinal, stream_id
            """,
            label: "acknowledge_and_select_to_device_messages"
        )
        var messages: [ToDeviceRead: [QueuedDeviceMessage]] = [:]
        for try await (ordinal, position, json) in rows.decode((Int64, Int64, String).self) {
            messages[reads[Int(ordinal) - 1], default: []].append(QueuedDeviceMessage(position: position, json: json))
        }
        return messages
    }
}
