import Foundation
import Logging
import MatrixCore
import MatrixEvents
import Replication
import Storage

/// Typing notifications (`PUT /rooms/{roomId}/typing/{userId}`) and their expiry.
///
/// Who is typing lives only in Redis (``TypingRegistry``): it is ephemeral and may be lost.
/// Each change is announced on ``StreamName/typing`` with its room, to wake the sync workers.
public struct TypingService: Sendable {
    let rooms: RoomStore
    let registry: TypingRegistry
    let announcer: StreamAnnouncer

    /// The longest a typing notification lasts, whatever the client asks: 30 seconds.
    public static let maximumTimeoutMilliseconds: Int64 = 30_000

    public init(rooms: RoomStore, redis: RedisConnection, publisher: StreamPublisher, logger: Logger) {
        self.rooms = rooms
        self.registry = TypingRegistry(connection: redis)
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
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

        let timeout = min(timeoutMilliseconds ?? Self.maximumTimeoutMilliseconds, Self.maximumTimeoutMilliseconds)
        let now = unixMilliseconds()
        let position = if typing && timeout > 0 {
            try await registry.start(user.description, in: roomID.description, expiresAt: now + timeout, now: now)
        } else {
            try await registry.stop(user.description, in: roomID.description)
        }
        if position != nil { await announcer.announce(.typing, ["room_id": roomID.description]) }
    }

    /// Ends the typing notifications whose timeout passed and announces the rooms that changed.
    public func expire() async throws {
        for roomID in try await registry.expire(now: unixMilliseconds()) {
            await announcer.announce(.typing, ["room_id": roomID])
        }
    }

    /// The typing position now; `nil` while Redis is unreachable.
    public func position() async -> Int64? {
        try? await registry.position()
    }

    /// The typing users of those of `roomIDs` whose typing changed after `position`.
    ///
    /// Typing lives in Redis only; while Redis is unreachable this is no change at `position`,
    /// so `/sync` keeps serving what PostgreSQL holds (DESIGN.md invariant 2) and the next
    /// token still asks for the typing changes it missed.
    public func snapshot(of roomIDs: [String], after position: Int64) async -> TypingRegistry.Snapshot {
        do {
            return try await registry.snapshot(of: roomIDs, after: position, now: unixMilliseconds())
        } catch {
            announcer.logger.warning("typing notifications unavailable", metadata: ["error": "\(error)"])
            return TypingRegistry.Snapshot(position: position, typing: [:])
        }
    }
}
