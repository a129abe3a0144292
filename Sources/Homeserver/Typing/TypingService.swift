import Foundation
import Logging
import MatrixCore
import MatrixEvents
import Replication
import Storage

/// Typing notifications (`PUT /rooms/{roomId}/typing/{userId}`).
///
/// Who is typing lives only in Redis, one ``ExpiringSet`` per room whose members expire after
/// their timeout: it is ephemeral and may be lost. Each change is announced on
/// ``StreamName/typing`` for the sync workers.
public struct TypingService: Sendable {
    let rooms: RoomStore
    let redis: RedisConnection
    let announcer: StreamAnnouncer

    /// The longest a typing notification lasts, whatever the client asks: 30 seconds.
    public static let maximumTimeoutMilliseconds: Int64 = 30_000

    public init(rooms: RoomStore, redis: RedisConnection, publisher: StreamPublisher, logger: Logger) {
        self.rooms = rooms
        self.redis = redis
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
    }

    /// The set of users typing in a room.
    func typingSet(of roomID: RoomID) -> ExpiringSet {
        ExpiringSet(connection: redis, key: "trellis:typing:\(roomID)")
    }

    /// Starts (for `timeoutMilliseconds`, capped at ``maximumTimeoutMilliseconds``; the cap when
    /// absent) or stops `user`'s typing in a room. Only for oneself and only in a joined room (`403`).
    public func setTyping(
        _ typing: Bool, timeoutMilliseconds: Int64?, user: UserID, in roomID: RoomID, by requester: Requester
    ) async throws {
        guard user == requester.userID else {
            throw MatrixError(.forbidden, "Cannot set another user's typing state")
        }
        if let timeoutMilliseconds, timeoutMilliseconds < 0 {
            throw MatrixError(.invalidParam, "timeout must not be negative")
        }
        guard try await rooms.membership(of: user.description, in: roomID.description)?.membership == Membership.join
        else { throw MatrixError(.forbidden, "User \(user) is not in room \(roomID)") }

        let set = typingSet(of: roomID)
        let timeout = min(timeoutMilliseconds ?? Self.maximumTimeoutMilliseconds, Self.maximumTimeoutMilliseconds)
        var fields = ["room_id": roomID.description, "user_id": user.description]
        if typing && timeout > 0 {
            let now = unixMilliseconds()
            try await set.insert(user.description, expiresAt: now + timeout, now: now)
            fields["typing"] = "true"
            fields["timeout_ms"] = String(timeout)
        } else {
            try await set.remove(user.description)
            fields["typing"] = "false"
        }
        await announcer.announce(.typing, fields)
    }
}
