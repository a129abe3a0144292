import Foundation
import Logging
import MatrixCore
import MatrixEvents
import Replication
import Storage

/// Read receipts and the fully read marker (`/receipt/{receiptType}/{eventId}`, `/read_markers`).
///
/// Receipts are stored in PostgreSQL at positions of the receipts stream and announced on
/// ``StreamName/receipts``; the fully read marker is the room account data `m.fully_read`. Both
/// only move forward: a receipt or marker for an earlier event than the current one is ignored.
public struct ReceiptService: Sendable {
    let rooms: RoomStore
    let receipts: ReceiptStore
    let accountData: AccountDataService
    let announcer: StreamAnnouncer

    /// The receipt types a client may send.
    public enum ReceiptType {
        public static let read = "m.read"
        public static let readPrivate = "m.read.private"
        /// Not a receipt: the fully read marker, which `/receipt` accepts too.
        public static let fullyRead = "m.fully_read"
    }

    public init(
        rooms: RoomStore, receipts: ReceiptStore, accountData: AccountDataService, publisher: StreamPublisher,
        logger: Logger
    ) {
        self.rooms = rooms
        self.receipts = receipts
        self.accountData = accountData
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
    }

    /// Sends a receipt (or sets the fully read marker) for `eventID` in a joined room (`403`).
    ///
    /// `400 M_INVALID_PARAM` for an unknown receipt type, an empty `threadID` or a thread on
    /// `m.fully_read`; `404 M_NOT_FOUND` when the event is not in the room.
    public func send(
        _ type: String, for eventID: String, threadID: String?, in roomID: RoomID, by requester: Requester
    ) async throws {
        guard [ReceiptType.read, ReceiptType.readPrivate, ReceiptType.fullyRead].contains(type) else {
            throw MatrixError(.invalidParam, "Receipt type must be m.read, m.read.private or m.fully_read")
        }
        if let threadID {
            guard !threadID.isEmpty else {
                throw MatrixError(.invalidParam, "thread_id field must be a non-empty string")
            }
            guard type != ReceiptType.fullyRead else {
                throw MatrixError(.invalidParam, "thread_id is not allowed for m.fully_read")
            }
        }
        try await requireJoined(requester, roomID)
        let event = try await event(eventID, in: roomID)
        if type == ReceiptType.fullyRead {
            try await moveFullyReadMarker(to: event, in: roomID, of: requester.userID)
        } else {
            try await storeReceipt(type, for: event, threadID: threadID, in: roomID, of: requester.userID)
        }
    }

    /// `/read_markers`: moves the fully read marker and sends the receipts given, all optional.
    public func setReadMarkers(
        fullyRead: String?, read: String?, readPrivate: String?, in roomID: RoomID, by requester: Requester
    ) async throws {
        try await requireJoined(requester, roomID)
        let marked = [
            (ReceiptType.fullyRead, fullyRead), (ReceiptType.read, read), (ReceiptType.readPrivate, readPrivate),
        ]
        var events: [(type: String, event: PersistedEvent)] = []
        for case let (type, eventID?) in marked {
            events.append((type, try await event(eventID, in: roomID)))
        }
        for (type, event) in events {
            if type == ReceiptType.fullyRead {
                try await moveFullyReadMarker(to: event, in: roomID, of: requester.userID)
            } else {
                try await storeReceipt(type, for: event, threadID: nil, in: roomID, of: requester.userID)
            }
        }
    }

    private func requireJoined(_ requester: Requester, _ roomID: RoomID) async throws {
        let membership = try await rooms.membership(of: requester.userID.description, in: roomID.description)
        guard membership?.membership == Membership.join else {
            throw MatrixError(.forbidden, "You are not joined to room \(roomID)")
        }
    }

    /// The accepted event `eventID` of the room, or `404 M_NOT_FOUND`.
    private func event(_ eventID: String, in roomID: RoomID) async throws -> PersistedEvent {
        guard let event = try await rooms.events([eventID])[eventID], event.roomID == roomID.description,
              event.rejectedReason == nil, !event.outlier
        else { throw MatrixError(.notFound, "Event \(eventID) not found in room \(roomID)") }
        return event
    }

    private func storeReceipt(
        _ type: String, for event: PersistedEvent, threadID: String?, in roomID: RoomID, of userID: UserID
    ) async throws {
        let receipt = NewReceipt(
            roomID: roomID.description, type: type, userID: userID.description, threadID: threadID,
            eventID: event.eventID, eventStreamPosition: event.streamPosition,
            timestamp: unixMilliseconds()
        )
        guard let position = try await receipts.put(receipt) else { return }
        var fields = [
            "position": String(position), "room_id": roomID.description, "user_id": userID.description,
            "receipt_type": type, "event_id": event.eventID,
        ]
        if let threadID { fields["thread_id"] = threadID }
        await announcer.announce(.receipts, fields)
    }

    /// Sets `m.fully_read` to the event unless the marker already points at a later one.
    private func moveFullyReadMarker(to event: PersistedEvent, in roomID: RoomID, of userID: UserID) async throws {
        if let current = try await accountData.content(type: ReceiptType.fullyRead, roomID: roomID, of: userID)?
            .string("event_id"),
           let currentEvent = try await rooms.events([current])[current],
           currentEvent.streamPosition >= event.streamPosition {
            return
        }
        try await accountData.store(["event_id": .string(event.eventID)], type: ReceiptType.fullyRead, roomID: roomID,
                                    of: userID)
    }
}
