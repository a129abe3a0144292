@testable import Homeserver
import Testing

@Suite("Sync notifier")
struct SyncNotifierTests {
    static let later = ContinuousClock.now + .seconds(600)

    /// Waits until `notifier` holds `count` registered waits that have not fired.
    static func waitUntil(_ notifier: SyncNotifier, holds count: Int) async {
        while notifier.waiting != count { await Task.yield() }
    }

    /// Waits until `count` waits are suspended, their deadlines set.
    static func waitUntil(_ notifier: SyncNotifier, parks count: Int) async {
        while notifier.parked != count { await Task.yield() }
    }

    @Test("a change between registering and waiting ends the wait at once")
    func wakeBeforeWait() async {
        let notifier = SyncNotifier()
        let ticket = notifier.register(userID: "@a:test", rooms: ["!r:test"])
        notifier.wake(rooms: ["!r:test"])
        #expect(notifier.waiting == 0)
        await notifier.wait(ticket, until: Self.later)
    }

    @Test("a wake ends exactly the waits of its users and rooms, and tells them its number")
    func wakesOnlyWhatItConcerns() async {
        let notifier = SyncNotifier()
        let inRoom = notifier.register(userID: "@a:test", rooms: ["!r:test"])
        let elsewhere = notifier.register(userID: "@b:test", rooms: ["!other:test"])
        let user = notifier.register(userID: "@c:test", rooms: [])
        async let roomWait = notifier.wait(inRoom, until: Self.later)
        async let userWait = notifier.wait(user, until: Self.later)
        await Self.waitUntil(notifier, parks: 2)
        notifier.wake(users: ["@c:test"], rooms: ["!r:test"])
        let (roomWake, userWake) = await (roomWait, userWait)
        #expect(roomWake != nil)
        #expect(roomWake == userWake)
        #expect(notifier.waiting == 1)
        // The next wake has a later number.
        let next = notifier.register(userID: "@c:test", rooms: [])
        async let nextWait = notifier.wait(next, until: Self.later)
        await Self.waitUntil(notifier, parks: 1)
        notifier.wake(users: ["@c:test"])
        #expect(await nextWait.map { $0 > roomWake ?? .max } == true)
        notifier.cancel(elsewhere)
        #expect(notifier.waiting == 0)
    }

    @Test("a wait ends at its deadline, and when its task is cancelled")
    func deadlineAndCancellation() async {
        let notifier = SyncNotifier()
        let expiring = notifier.register(userID: "@a:test", rooms: [])
        // No change ended these waits: no wake number.
        #expect(await notifier.wait(expiring, until: .now + .milliseconds(20)) == nil)
        #expect(notifier.waiting == 0)

        let cancelled = notifier.register(userID: "@a:test", rooms: [])
        let task = Task { await notifier.wait(cancelled, until: Self.later) }
        task.cancel()
        #expect(await task.value == nil)
        #expect(notifier.waiting == 0)
    }

    @Test("thousands of waits of one room all end on one wake")
    func fanOut() async {
        let notifier = SyncNotifier()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<5000 {
                let ticket = notifier.register(userID: "@u\(index):test", rooms: ["!big:test"])
                group.addTask { await notifier.wait(ticket, until: Self.later) }
            }
            await Self.waitUntil(notifier, holds: 5000)
            notifier.wake(rooms: ["!big:test"])
        }
        #expect(notifier.waiting == 0)
    }

    @Test("a wait with an earlier deadline, registered after a later one, still ends first", .timeLimit(.minutes(1)))
    func earlierDeadlineAfterLaterOne() async {
        let notifier = SyncNotifier()
        let late = notifier.register(userID: "@late:test", rooms: [])
        let lateWait = Task { await notifier.wait(late, until: .now + .seconds(30)) }
        await Self.waitUntil(notifier, parks: 1)
        let early = notifier.register(userID: "@early:test", rooms: [])
        await notifier.wait(early, until: .now + .milliseconds(20))
        // Only the early wait ended: the late one waits for its own deadline or a wake.
        #expect(notifier.waiting == 1)
        notifier.wake(users: ["@late:test"])
        #expect(await lateWait.value != nil)
        #expect(notifier.waiting == 0)
    }

    @Test("deadlines go on ending waits after a wake ended the earliest, and each wait ends once", .timeLimit(.minutes(1)))
    func deadlinesAfterWake() async {
        let notifier = SyncNotifier()
        let woken = notifier.register(userID: "@woken:test", rooms: ["!r:test"])
        let wokenWait = Task { await notifier.wait(woken, until: .now + .milliseconds(50)) }
        await Self.waitUntil(notifier, parks: 1)
        var expiring: [SyncNotifier.Ticket] = []
        for index in 0..<200 { expiring.append(notifier.register(userID: "@u\(index):test", rooms: [])) }
        notifier.wake(rooms: ["!r:test"])
        #expect(await wokenWait.value != nil)
        // Deadlines spread over 100 ms, set in no particular order: every wait ends by itself.
        await withTaskGroup(of: Void.self) { group in
            for (index, ticket) in expiring.enumerated() {
                let deadline = ContinuousClock.now + .milliseconds((index * 37) % 100)
                group.addTask { await notifier.wait(ticket, until: deadline) }
            }
        }
        #expect(notifier.waiting == 0)
        // A ticket fired by its deadline is spent: waking its user again finds nothing to end.
        notifier.wake(users: ["@u0:test"])
        #expect(notifier.waiting == 0)
    }
}
