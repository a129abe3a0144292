import Foundation
import Metrics
import Replication

/// Wakes the long-polling `/sync` requests of this process that a change concerns.
///
/// A request registers what it waits for (its user and the rooms it is in) before it checks
/// the database one last time, then waits; a change announced in between fires its ticket at
/// once, so no change slips between the check and the wait. The replication streams feed
/// ``wake(for:of:)``; Redis is only the wake-up, the data comes from PostgreSQL.
public actor SyncNotifier {
    /// One registered wait.
    public struct Ticket: Sendable, Hashable {
        fileprivate let id: UUID
    }

    private struct Waiter {
        let userID: String
        let rooms: Set<String>
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private var waiters: [UUID: Waiter] = [:] {
        didSet { Self.longPolls.record(waiters.count) }
    }
    private var byUser: [String: Set<UUID>] = [:]
    private var byRoom: [String: Set<UUID>] = [:]

    private static let longPolls = Gauge(label: "trellis_sync_long_polls")

    public init() {}

    /// The number of registered waits, for metrics.
    public var waiting: Int { waiters.count }

    /// Registers a wait for changes to `userID` or to any of `rooms`.
    public func register(userID: String, rooms: Set<String>) -> Ticket {
        let id = UUID()
        waiters[id] = Waiter(userID: userID, rooms: rooms)
        byUser[userID, default: []].insert(id)
        for room in rooms { byRoom[room, default: []].insert(id) }
        return Ticket(id: id)
    }

    /// Waits until the ticket fires or `deadline` passes (or the task is cancelled), then
    /// forgets the ticket.
    public func wait(_ ticket: Ticket, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend(ticket) }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                await self.fire(ticket.id)
            }
            await group.next()
            group.cancelAll()
        }
        remove(ticket.id)
    }

    /// Wakes the waits of `users` and of everyone waiting on `rooms`.
    public func wake(users: [String] = [], rooms: [String] = []) {
        var ids: Set<UUID> = []
        for user in users { ids.formUnion(byUser[user] ?? []) }
        for room in rooms { ids.formUnion(byRoom[room] ?? []) }
        for id in ids { fire(id) }
    }

    /// Wakes the waits an entry of a replication stream concerns: an event's room (and, for a
    /// membership, its target, who may not be in the room yet), the user of account data or of
    /// to-device messages, a receipt's or typing notice's room. (A device list change concerns
    /// the rooms of its user, which the entry does not name: see ``wake(users:rooms:)``.)
    public func wake(for entry: StreamEntry, of stream: StreamName) {
        let fields = entry.fields
        switch stream {
        case .events:
            let target = fields["type"] == "m.room.member" ? fields["state_key"] : nil
            wake(users: target.map { [$0] } ?? [], rooms: fields["room_id"].map { [$0] } ?? [])
        case .accountData, .toDevice:
            wake(users: fields["user_id"].map { [$0] } ?? [])
        default:
            wake(rooms: fields["room_id"].map { [$0] } ?? [])
        }
    }

    private func suspend(_ ticket: Ticket) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard var waiter = waiters[ticket.id], !waiter.fired else {
                    continuation.resume()
                    return
                }
                waiter.continuation = continuation
                waiters[ticket.id] = waiter
            }
        } onCancel: {
            Task { await self.fire(ticket.id) }
        }
    }

    private func fire(_ id: UUID) {
        guard var waiter = waiters[id] else { return }
        waiter.fired = true
        let continuation = waiter.continuation
        waiter.continuation = nil
        waiters[id] = waiter
        continuation?.resume()
    }

    private func remove(_ id: UUID) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation?.resume()
        byUser[waiter.userID]?.remove(id)
        if byUser[waiter.userID]?.isEmpty == true { byUser[waiter.userID] = nil }
        for room in waiter.rooms {
            byRoom[room]?.remove(id)
            if byRoom[room]?.isEmpty == true { byRoom[room] = nil }
        }
    }
}
