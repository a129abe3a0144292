import Storage

/// The device-scoped parts of a `/sync` response: to-device messages, device list changes and
/// the device's key counts.
///
/// The to-device queues of the long-polls that one change wakes together are read in batches
/// (``BatchedReader``); the key counts come with the user's memberships (``SyncService``).
struct DeviceSync: Sendable {
    let tracker: DeviceListTracker
    let queues: BatchedReader<ToDeviceRead, [QueuedDeviceMessage]>

    init(toDevice: ToDeviceStore, tracker: DeviceListTracker) {
        self.tracker = tracker
        queues = BatchedReader(absent: []) { reads in
            try await toDevice.acknowledgeAndRead(reads, limit: ToDeviceService.deliveryLimit)
        }
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
    /// and `now`, with its key counts `keyCounts`. Messages up to `since` are acknowledged, so
    /// they are deleted.
    func update(
        for requester: Requester, since: SyncToken?, now: StreamPositions, memberships: [RoomMembership],
        roomsWithMembershipChanges: Set<String>, keyCounts: DeviceKeyCounts
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
        let counts = DeviceKeyService.reported(keyCounts)
        return Update(
            messages: messages.map(\.json),
            toDevicePosition: isPartial ? (messages.last?.position ?? now.toDevice) : now.toDevice,
            changed: changed, left: left, oneTimeKeyCounts: counts.oneTimeKeys,
            unusedFallbackKeyTypes: counts.unusedFallbackKeys
        )
    }
}
