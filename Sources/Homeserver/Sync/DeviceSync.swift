import Storage

/// The device-scoped parts of a `/sync` response: to-device messages, device list changes and
/// the device's key counts.
///
/// The to-device queues and key counts of the long-polls that one change wakes together are read
/// in batches (``BatchedReader``).
struct DeviceSync: Sendable {
    let tracker: DeviceListTracker
    let queues: BatchedReader<ToDeviceRead, [QueuedDeviceMessage]>
    let keyCounts: BatchedReader<UserDevice, DeviceKeyCounts>

    init(toDevice: ToDeviceStore, keys: EndToEndKeyStore, tracker: DeviceListTracker) {
        self.tracker = tracker
        queues = BatchedReader(absent: []) { reads in
            try await toDevice.acknowledgeAndRead(reads, limit: ToDeviceService.deliveryLimit)
        }
        keyCounts = BatchedReader(absent: DeviceKeyCounts()) { devices in try await keys.keyCounts(of: devices) }
    }

    /// What a sync tells one device.
    struct Update: Sendable {
        /// To-device events, oldest first, as JSON texts.
        var messages: [String]
        /// The to-device position the next token carries: the last message delivered when more
        /// are waiting, else the stream's head.
        var toDevicePosition: Int64
        var changed: Set<String>
        var left: Set<String>
        var oneTimeKeyCounts: [String: Int]
        var unusedFallbackKeyTypes: [String]
    }

    /// The device's update between `since` (everything when `nil`; no device list changes then)
    /// and `now`. Messages up to `since` are acknowledged, so they are deleted.
    func update(
        for requester: Requester, since: SyncToken?, now: StreamPositions, memberships: [RoomMembership],
        roomsWithMembershipChanges: Set<String>
    ) async throws -> Update {
        let userID = requester.userID.description
        let device = UserDevice(userID: userID, deviceID: requester.deviceID)
        let queueRead = ToDeviceRead(device: device, after: since?.positions.toDevice ?? 0, upTo: now.toDevice)
        let messages = queueRead.isIdle ? [] : try await queues.value(for: queueRead)
        let isPartial = messages.count == ToDeviceService.deliveryLimit
        let (changed, left) = if let since {
            try await tracker.changes(for: userID, memberships: memberships, from: since.positions, to: now,
                                      roomsWithMembershipChanges: roomsWithMembershipChanges)
        } else {
            (Set<String>(), Set<String>())
        }
        let counts = DeviceKeyService.reported(try await keyCounts.value(for: device))
        return Update(
            messages: messages.map(\.json),
            toDevicePosition: isPartial ? (messages.last?.position ?? now.toDevice) : now.toDevice,
            changed: changed, left: left, oneTimeKeyCounts: counts.oneTimeKeys,
            unusedFallbackKeyTypes: counts.unusedFallbackKeys
        )
    }
}
