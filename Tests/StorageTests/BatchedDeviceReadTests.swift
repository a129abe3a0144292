import HomeserverTesting
import PostgresNIO
import Storage
import Testing

/// The reads that many woken long-polls make in one round trip: each device gets exactly what
/// its own read would give it.
@Suite("Device reads batched over many devices")
struct BatchedDeviceReadTests {
    static let devices = [
        UserDevice(userID: "@a:test", deviceID: "A1"), UserDevice(userID: "@a:test", deviceID: "A2"),
        UserDevice(userID: "@b:test", deviceID: "B1"),
    ]

    static func withDevices(_ body: (Database) async throws -> Void) async throws {
        try await PostgresTestDatabase.with { database in
            try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            for device in devices {
                try await database.client.query(
                    """
                    INSERT INTO users (user_id, created_ts) VALUES (\(device.userID), 0) ON CONFLICT DO NOTHING
                    """
                )
                try await database.client.query(
                    "INSERT INTO devices (user_id, device_id, created_ts) VALUES (\(device.userID), \(device.deviceID), 0)"
                )
            }
            try await body(database)
        }
    }

    @Test("to-device reads acknowledge and read each device's own range, at most the limit each")
    func toDeviceReads() async throws {
        try await Self.withDevices { database in
            let store = ToDeviceStore(database: database)
            let (a1, a2, b1) = (Self.devices[0], Self.devices[1], Self.devices[2])
            // Positions 1…3 to A1, 4…5 to A2, 6 to B1.
            let targets = [a1, a1, a1, a2, a2, b1]
            for (index, device) in targets.enumerated() {
                _ = try await store.send(
                    [OutgoingDeviceMessage(userID: device.userID, deviceID: device.deviceID, json: #"{"n":\#(index + 1)}"#)],
                    from: b1.userID, device: b1.deviceID, transactionID: "t\(index)"
                )
            }
            let reads = [
                ToDeviceRead(device: a1, after: 1, upTo: 6),  // acknowledges 1, reads 2 and 3
                ToDeviceRead(device: a2, after: 0, upTo: 6),  // reads 4 and 5, limited to 1
                ToDeviceRead(device: b1, after: 0, upTo: 5),  // 6 is past its range
            ]
            let messages = try await store.acknowledgeAndRead(reads, limit: 1)
            #expect(messages[reads[0]]?.map(\.position) == [2])
            #expect(messages[reads[1]]?.map(\.position) == [4])
            #expect(messages[reads[2]] == nil)
            // Each batched answer is what the device's read alone gives.
            for read in reads {
                let alone = try await store.acknowledgeAndRead(
                    for: read.device.userID, device: read.device.deviceID, after: read.after, upTo: read.upTo, limit: 1
                )
                #expect(alone == messages[read] ?? [])
            }
            let remaining = try await database.client.query("SELECT stream_id FROM to_device_messages ORDER BY 1")
            var positions: [Int64] = []
            for try await position in remaining.decode(Int64.self) { positions.append(position) }
            #expect(positions == [2, 3, 4, 5, 6])
        }
    }

    @Test("key counts of many devices come from one read, per device, fallback types sorted")
    func keyCounts() async throws {
        try await Self.withDevices { database in
            let store = EndToEndKeyStore(database: database)
            let (a1, a2, b1) = (Self.devices[0], Self.devices[1], Self.devices[2])
            func keys(_ algorithm: String, _ count: Int) -> [UploadedKey] {
                (0..<count).map { UploadedKey(algorithm: algorithm, keyID: "k\($0)", json: #""key\#($0)""#) }
            }
            _ = try await store.upload(userID: a1.userID, deviceID: a1.deviceID, deviceKeys: nil,
                                       oneTimeKeys: keys("signed_curve25519", 3) + keys("curve25519", 1),
                                       fallbackKeys: keys("z_alg", 1) + keys("signed_curve25519", 1))
            _ = try await store.upload(userID: b1.userID, deviceID: b1.deviceID, deviceKeys: nil,
                                       oneTimeKeys: keys("signed_curve25519", 2), fallbackKeys: [])
            let counts = try await store.keyCounts(of: Self.devices)
            #expect(counts[a1] == DeviceKeyCounts(oneTimeKeys: ["signed_curve25519": 3, "curve25519": 1],
                                                  unusedFallbackKeys: ["signed_curve25519", "z_alg"]))
            #expect(counts[a2] == nil)
            #expect(counts[b1] == DeviceKeyCounts(oneTimeKeys: ["signed_curve25519": 2]))
            for device in Self.devices {
                #expect(try await store.keyCounts(userID: device.userID, deviceID: device.deviceID)
                        == counts[device] ?? DeviceKeyCounts())
            }
        }
    }
}
