import Foundation
import Storage

/// Records when and from where each device was last used (`last_seen_ts`, `last_seen_ip` of
/// `/devices`), writing at most once per device per `interval` from each process.
public actor DeviceActivity {
    let store: AccountStore
    let interval: TimeInterval
    private var lastWritten: [String: Date] = [:]

    public init(store: AccountStore, interval: TimeInterval = 300) {
        self.store = store
        self.interval = interval
    }

    /// Notes a request by the requester's device from `address`.
    public func record(_ requester: Requester, address: String?, now: Date = Date()) async throws {
        let key = "\(requester.userID)|\(requester.deviceID)"
        if let last = lastWritten[key], now.timeIntervalSince(last) < interval { return }
        lastWritten[key] = now
        if lastWritten.count > 100_000 { lastWritten = lastWritten.filter { now.timeIntervalSince($0.value) < interval } }
        try await store.touchDevice(userID: requester.userID.description, deviceID: requester.deviceID, ip: address)
    }
}
