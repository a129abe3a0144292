import Foundation
import Logging
import MatrixCore
import Replication
import Storage

/// Presence: `GET`/`PUT /presence/{userId}/status`, the `presence` of `/sync` and the
/// automatic changes (idle users become unavailable, users who stop syncing go offline).
///
/// Presence lives in Redis only (``PresenceRegistry``) and each change is announced on
/// ``StreamName/presence``. When turned off (`sync.presence_enabled: false`) nothing is stored,
/// everyone reads as offline and `/sync` carries no presence.
public struct PresenceService: Sendable {
    let registry: PresenceRegistry
    let syncStore: SyncStore
    let announcer: StreamAnnouncer
    /// Whether presence is tracked at all.
    public let isEnabled: Bool

    /// The states a client may set.
    static let states: Set<String> = ["online", "unavailable", "offline"]
    /// Online users idle this long become unavailable (Synapse's idle timer).
    static let timeouts = PresenceRegistry.Timeouts(idleMilliseconds: 5 * 60_000)
    /// How long a user stays online after their last sync ends, or after setting it themselves.
    static let syncGraceMilliseconds: Int64 = 30_000
    static let setGraceMilliseconds: Int64 = 5 * 60_000
    /// Activity within this long makes a user `currently_active`.
    static let currentlyActiveMilliseconds: Int64 = 60_000

    public init(redis: RedisConnection, syncStore: SyncStore, publisher: StreamPublisher, isEnabled: Bool,
                logger: Logger) {
        self.registry = PresenceRegistry(connection: redis)
        self.syncStore = syncStore
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
        self.isEnabled = isEnabled
    }

    /// `PUT /presence/{userId}/status`: only for oneself (`403`); `presence` must be one of the
    /// spec's states (`400 M_INVALID_PARAM`).
    public func setStatus(presence: String, statusMessage: String?, of userID: UserID, by requester: Requester)
        async throws {
        guard userID == requester.userID else { throw MatrixError(.forbidden, "Cannot set another user's presence") }
        guard Self.states.contains(presence) else {
            throw MatrixError(.invalidParam, "presence must be online, unavailable or offline")
        }
        guard isEnabled else { return }
        let now = unixMilliseconds()
        let update = PresenceRegistry.Update(presence: presence, statusMessage: .some(statusMessage),
                                             isActive: presence == "online", offlineAt: now + Self.setGraceMilliseconds)
        try await apply(update, to: userID.description, now: now)
    }

    /// `GET /presence/{userId}/status`: for oneself and users who share a room (`403` otherwise).
    public func status(of userID: UserID, for requester: Requester) async throws -> JSONObject {
        let user = userID.description
        if user != requester.userID.description {
            let sharing = try await syncStore.usersSharingRoom(with: requester.userID.description, among: [user])
            guard sharing.contains(user) else {
                throw MatrixError(.forbidden, "You are not allowed to see their presence")
            }
        }
        guard isEnabled, let stored = try await registry.presence(of: user) else { return ["presence": "offline"] }
        return Self.content(stored, now: unixMilliseconds())
    }

    /// A `/sync` request of `userID` starts, with `set_presence` (online when absent) and its
    /// long-poll `timeout`: the user stays online until a grace period after it could end.
    public func syncing(_ userID: String, setPresence: String?, timeout: Duration) async {
        guard isEnabled, setPresence != "offline" else { return }
        let now = unixMilliseconds()
        let presence = setPresence ?? "online"
        let update = PresenceRegistry.Update(
            presence: presence, isActive: presence == "online",
            offlineAt: now + Int64(timeout.components.seconds) * 1000 + Self.syncGraceMilliseconds
        )
        do {
            try await apply(update, to: userID, now: now)
        } catch {
            announcer.logger.warning("could not record presence", metadata: ["error": "\(error)"])
        }
    }

    /// Makes the automatic changes that are due and announces them.
    public func expire() async throws {
        guard isEnabled else { return }
        for userID in try await registry.expire(now: unixMilliseconds(), timeouts: Self.timeouts) {
            await announcer.announce(.presence, ["user_id": userID])
        }
    }

    /// The presence position now and the `m.presence` events of `userID` and the users sharing
    /// a room with them whose presence changed after `position`. Without presence, or while
    /// Redis is unreachable, no change at `position`.
    public func changes(for userID: String, after position: Int64) async throws -> (position: Int64, events: [JSONObject]) {
        guard isEnabled else { return (position, []) }
        let (current, changed): (Int64, [PresenceRegistry.Presence])
        do {
            (current, changed) = try await registry.changes(after: position)
        } catch {
            announcer.logger.warning("presence unavailable", metadata: ["error": "\(error)"])
            return (position, [])
        }
        let visible = try await syncStore.usersSharingRoom(with: userID, among: changed.map(\.userID))
            .union([userID])
        let now = unixMilliseconds()
        let events: [JSONObject] = changed.filter { visible.contains($0.userID) }.map { presence in
            ["type": "m.presence", "sender": .string(presence.userID), "content": .object(Self.content(presence, now: now))]
        }
        return (current, events)
    }

    /// The presence position now; `nil` without presence or while Redis is unreachable.
    public func position() async -> Int64? {
        guard isEnabled else { return nil }
        return try? await registry.position()
    }

    private func apply(_ update: PresenceRegistry.Update, to userID: String, now: Int64) async throws {
        if try await registry.apply(update, to: userID, now: now, timeouts: Self.timeouts) != nil {
            await announcer.announce(.presence, ["user_id": userID])
        }
    }

    /// The content of a presence event: the state, `last_active_ago`, `currently_active` and the
    /// status message.
    static func content(_ presence: PresenceRegistry.Presence, now: Int64) -> JSONObject {
        var content: JSONObject = ["presence": .string(presence.presence)]
        if let lastActive = presence.lastActive {
            let ago = max(0, now - lastActive)
            content["last_active_ago"] = .integer(ago)
            content["currently_active"] = .bool(presence.presence == "online" && ago < currentlyActiveMilliseconds)
        }
        if let status = presence.statusMessage { content["status_msg"] = .string(status) }
        return content
    }
}
