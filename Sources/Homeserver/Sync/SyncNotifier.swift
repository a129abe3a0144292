import HeapModule
import Metrics
import Replication
import Synchronization

/// Wakes the long-polling `/sync` requests of this process that a change concerns.
///
/// A request registers what it waits for (its user and the rooms it is in) before it checks
/// the database one last time, then waits; a change announced in between fires its ticket at
/// once, so no change slips between the check and the wait. The replication streams feed
/// ``wake(for:of:)``; Redis is only the wake-up, the data comes from PostgreSQL.
///
/// The waits live behind a lock rather than in an actor: one message to a large room wakes
/// thousands of them at once, and each woken request goes on without queueing behind the
/// others for the notifier again. One task ends the waits whose deadlines pass, sleeping until
/// the earliest, rather than a timer task per wait that each woken wait would have to cancel.
public final class SyncNotifier: Sendable {
    /// One registered wait.
    public struct Ticket: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Waiter {
        let userID: String
        let rooms: Set<String>
        var continuation: UnsafeContinuation<UInt64?, Never>?
    }

    /// When a wait ends unless something fires it first.
    private struct Deadline: Comparable {
        let instant: ContinuousClock.Instant
        let id: UInt64

        static func < (lhs: Deadline, rhs: Deadline) -> Bool { (lhs.instant, lhs.id) < (rhs.instant, rhs.id) }
    }

    /// The registered waits that have not fired, indexed by user and by room, and their deadlines.
    private struct Waits {
        var nextID: UInt64 = 0
        /// How many times a change has woken waits.
        var wakes: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var byUser: [String: Set<UInt64>] = [:]
        var byRoom: [String: Set<UInt64>] = [:]
        /// The deadlines of the waiting tickets; a fired ticket's stays until it comes first
        /// (``takeExpired(at:)``) or the heap is rebuilt (``compactDeadlines()``).
        var deadlines = Heap<Deadline>()
        /// The deadline task: the instant it sleeps until and its generation. A task whose
        /// generation is not the current one has been replaced by one that wakes earlier.
        var timerTarget: ContinuousClock.Instant?
        var timerGeneration: UInt64 = 0

        /// Removes the deadlines of fired tickets when they outnumber the waiting ones.
        mutating func compactDeadlines() {
            guard deadlines.count > 2 * waiters.count + 1024 else { return }
            deadlines = Heap(deadlines.unordered.filter { waiters[$0.id] != nil })
        }

        /// Takes the waiting tickets whose deadlines have passed, and drops the deadlines of
        /// fired tickets that come first, so that the next deadline is one a wait still has.
        mutating func takeExpired(at now: ContinuousClock.Instant) -> [UInt64] {
            var expired: [UInt64] = []
            while let first = deadlines.min, first.instant <= now || waiters[first.id] == nil {
                deadlines.removeMin()
                if waiters[first.id] != nil { expired.append(first.id) }
            }
            return expired
        }

        mutating func remove(_ id: UInt64) -> Waiter? {
            guard let waiter = waiters.removeValue(forKey: id) else { return nil }
            byUser[waiter.userID]?.remove(id)
            if byUser[waiter.userID]?.isEmpty == true { byUser[waiter.userID] = nil }
            for room in waiter.rooms {
                byRoom[room]?.remove(id)
                if byRoom[room]?.isEmpty == true { byRoom[room] = nil }
            }
            return waiter
        }
    }

    private let waits = Mutex(Waits())
    private static let longPolls = Gauge(label: "trellis_sync_long_polls")

    public init() {}

    /// The number of registered waits that have not fired.
    public var waiting: Int { waits.withLock { $0.waiters.count } }

    /// The number of waits whose tasks are suspended in ``wait(_:until:)``, their deadlines set.
    var parked: Int { waits.withLock { $0.waiters.values.count { $0.continuation != nil } } }

    /// Registers a wait for changes to `userID` or to any of `rooms`.
    public func register(userID: String, rooms: Set<String>) -> Ticket {
        let (id, count) = waits.withLock { waits in
            let id = waits.nextID
            waits.nextID += 1
            waits.waiters[id] = Waiter(userID: userID, rooms: rooms)
            waits.byUser[userID, default: []].insert(id)
            for room in rooms { waits.byRoom[room, default: []].insert(id) }
            return (id, waits.waiters.count)
        }
        Self.longPolls.record(count)
        return Ticket(id: id)
    }

    /// Waits until the ticket fires, `deadline` passes or the task is cancelled; the ticket is
    /// spent afterwards. Returns the number of the wake that fired the ticket while it waited: the
    /// long-polls of one wake share their reads (``ReadCoalescer``). `nil` when the deadline
    /// passed, the task was cancelled, or the ticket had fired before the wait began.
    @discardableResult
    public func wait(_ ticket: Ticket, until deadline: ContinuousClock.Instant) async -> UInt64? {
        guard deadline > .now else {
            cancel(ticket)
            return nil
        }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let (hasFired, newTimer) = waits.withLock { waits -> (Bool, UInt64?) in
                    guard waits.waiters[ticket.id] != nil else { return (true, nil) }
                    waits.waiters[ticket.id]?.continuation = continuation
                    waits.deadlines.insert(Deadline(instant: deadline, id: ticket.id))
                    if let target = waits.timerTarget, target <= deadline { return (false, nil) }
                    waits.timerTarget = deadline
                    waits.timerGeneration += 1
                    return (false, waits.timerGeneration)
                }
                if hasFired { continuation.resume(returning: nil) }
                if let newTimer {
                    Task.detached { [self] in await endWaits(generation: newTimer, sleepingUntil: deadline) }
                }
            }
        } onCancel: {
            cancel(ticket)
        }
    }

    /// The deadline task: sleeps until the earliest deadline, ends the waits whose deadlines
    /// have passed and goes on while any waiting ticket has a deadline, unless a task that wakes
    /// earlier replaced it (which it finds out when it wakes).
    private func endWaits(generation: UInt64, sleepingUntil target: ContinuousClock.Instant) async {
        var target: ContinuousClock.Instant? = target
        while let instant = target {
            try? await Task.sleep(until: instant, clock: .continuous)
            let expired: [UInt64]
            (expired, target) = waits.withLock { waits in
                guard waits.timerGeneration == generation else { return ([], nil) }
                let expired = waits.takeExpired(at: .now)
                waits.timerTarget = waits.deadlines.min?.instant
                return (expired, waits.timerTarget)
            }
            if !expired.isEmpty { fire(expired, wake: nil) }
        }
    }

    /// Fires the ticket (if it has not fired), ending its wait or the one it would begin.
    public func cancel(_ ticket: Ticket) {
        fire([ticket.id], wake: nil)
    }

    /// Wakes the waits of `users` and of everyone waiting on `rooms`.
    public func wake(users: [String] = [], rooms: [String] = []) {
        let (ids, wake) = waits.withLock { waits in
            var ids: Set<UInt64> = []
            for user in users { ids.formUnion(waits.byUser[user] ?? []) }
            for room in rooms { ids.formUnion(waits.byRoom[room] ?? []) }
            waits.wakes += 1
            return (ids, waits.wakes)
        }
        fire(ids, wake: wake)
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

    /// Forgets the waits and resumes those already waiting, outside the lock, with the wake's
    /// number when a change fires them.
    private func fire(_ ids: some Sequence<UInt64>, wake: UInt64?) {
        let (fired, count) = waits.withLock { waits in
            let fired = ids.compactMap { waits.remove($0) }
            waits.compactDeadlines()
            return (fired, waits.waiters.count)
        }
        guard !fired.isEmpty else { return }
        Self.longPolls.record(count)
        for waiter in fired { waiter.continuation?.resume(returning: wake) }
    }
}
