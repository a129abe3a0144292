import Storage

/// The device-scoped parts of a `/sync` response: to-device messages, device list changes and
/// the device's key counts.
struct DeviceSync: Sendable {
    let toDevice: ToDeviceStore
    let keys: EndToEndKeyStore
    let tracker: DeviceListTracker

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
        let (userID, deviceID) = (requester.userID.description, requester.deviceID)
        let after = since?.positions.toDevice ?? 0
        let messages = try await toDevice.acknowledgeAndRead(for: userID, device: deviceID, after: after,
                                                             upTo: now.toDevice, limit: ToDeviceService.deliveryLimit)
        let isPartial = messages.count == ToDeviceService.deliveryLimit
        let (changed, left) = if let since {
            try await tracker.changes(for: userID, memberships: memberships, from: since.positions, to: now,
                                      roomsWithMembershipChanges: roomsWithMembershipChanges)
        } else {
            (Set<String>(), Set<String>())
        }
        let counts = try await DeviceKeyService.keyCounts(of: requester, in: keys)
        return Update(
            messages: messages.map(\.json),
            toDevicePosition: isPartial ? (messages.last?.position ?? now.toDevice) : now.toDevice,
            changed: changed, left: left, oneTimeKeyCounts: counts.oneTimeKeys,
            unusedFallbackKeyTypes: counts.unusedFallbackKeys
        )
    }
}
