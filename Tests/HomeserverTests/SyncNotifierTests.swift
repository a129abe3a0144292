@testable import Homeserver
import Testing

@Suite("Sync notifier")
struct SyncNotifierTests {
    static let later = ContinuousClock.now + .seconds(600)

    /// Waits until `notifier` holds `count` registered waits that have not fired.
    static func waitUntil(_ notifier: SyncNotifier, holds count: Int) async {
        while notifier.waiting != count { await Task.yield() }
    }

    @Test("a change between registering and waiting ends the wait at once")
    func wakeBeforeWait() async {
        let notifier = SyncNotifier()
        let ticket = notifier.register(userID: "@a:test", rooms: ["!r:test"])
        notifier.wake(rooms: ["!r:test"])
        #expect(notifier.waiting == 0)
        await notifier.wait(ticket, until: Self.later)
    }

    @Test("a wake ends exactly the waits of its users and rooms")
    func wakesOnlyWhatItConcerns() async {
        let notifier = SyncNotifier()
        let inRoom = notifier.register(userID: "@a:test", rooms: ["!r:test"])
        let elsewhere = notifier.register(userID: "@b:test", rooms: ["!other:test"])
        let user = notifier.register(userID: "@c:test", rooms: [])
        async let roomWait: Void = notifier.wait(inRoom, until: Self.later)
        async let userWait: Void = notifier.wait(user, until: Self.later)
        notifier.wake(users: ["@c:test"], rooms: ["!r:test"])
        await roomWait
        await userWait
        #expect(notifier.waiting == 1)
        notifier.cancel(elsewhere)
        #expect(notifier.waiting == 0)
    }

    @Test("a wait ends at its deadline, and when its task is cancelled")
    func deadlineAndCancellation() async {
        let notifier = SyncNotifier()
        let expiring = notifier.register(userID: "@a:test", rooms: [])
        await notifier.wait(expiring, until: .now + .milliseconds(20))
        #expect(notifier.waiting == 0)

        let cancelled = notifier.register(userID: "@a:test", rooms: [])
        let task = Task { await notifier.wait(cancelled, until: Self.later) }
        task.cancel()
        await task.value
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
}
