import Logging
import MatrixCore
import Replication
import Storage

/// `/sendToDevice`: messages to other users' devices, delivered by `/sync` and deleted once the
/// device acknowledges them with its next sync token.
public struct ToDeviceService: Sendable {
    let store: ToDeviceStore
    let accounts: AccountStore
    let serverName: ServerName
    let announcer: StreamAnnouncer
    let logger: Logger

    /// The most messages one `/sync` response delivers to a device; the rest come next time.
    public static let deliveryLimit = 100

    public init(store: ToDeviceStore, accounts: AccountStore, serverName: ServerName, publisher: StreamPublisher,
                logger: Logger) {
        self.store = store
        self.accounts = accounts
        self.serverName = serverName
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
        self.logger = logger
    }

    /// Queues the events of a `/sendToDevice/{eventType}/{txnId}` body (`{user: {device or "*":
    /// content}}`) once per transaction ID of the sending device, and wakes the recipients.
    public func send(
        type: String, messages: JSONObject, transactionID: String, from requester: Requester
    ) async throws {
        var outgoing: [OutgoingDeviceMessage] = []
        for (user, devices) in messages {
            guard let userID = try? UserID(parsing: user), let devices = devices.objectValue else {
                throw MatrixError(.invalidParam, "messages['\(user)'] must map device IDs to contents")
            }
            guard userID.serverName == serverName else {
                logger.warning("to-device messages for other servers are not sent yet",
                               metadata: ["server": "\(userID.serverName)", "type": "\(type)"])
                continue
            }
            let allDevices = devices["*"] == nil ? [] : try await accounts.devices(of: user).map(\.deviceID)
            for (deviceID, content) in devices {
                guard let content = content.objectValue else {
                    throw MatrixError(.invalidParam, "The content for \(user) \(deviceID) must be an object")
                }
                let event: JSONObject = [
                    "sender": .string(requester.userID.description), "type": .string(type), "content": .object(content),
                ]
                for target in deviceID == "*" ? allDevices : [try deviceID.rejectingNUL("A device ID")] {
                    outgoing.append(OutgoingDeviceMessage(userID: user, deviceID: target, json: event.jsonString()))
                }
            }
        }
        guard !outgoing.isEmpty else { return }
        guard try await store.send(outgoing, from: requester.userID.description, device: requester.deviceID,
                                   transactionID: transactionID) != nil else { return }
        for user in Set(outgoing.map(\.userID)) {
            await announcer.announce(.toDevice, ["user_id": user])
        }
    }
}
