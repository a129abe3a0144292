import MatrixAPI
import MatrixCore

/// The push-rule decisions a send makes for every joined member of a large room (the event's
/// `event_push_actions`): `PushRuleEvaluator.predefinedDecisions(for:)` for all members at once,
/// against each member's whole predefined rules evaluated alone, as before it. Both must agree.
/// Each member's name and display name are searched for in the body, by bytes when it is plain
/// ASCII (``asciiBody``) and by characters when it is not (``otherBody``).
struct PushRulesBenchmark {
    static let asciiBody = "hello everyone, and user7 in particular"
    static let otherBody = "héllo everyone, and user7 in particular ☕"

    let members: [(userID: UserID, displayName: String?)]
    let evaluator: PushRuleEvaluator

    init(members count: Int, body: String) {
        members = (0..<count).compactMap { index in
            (try? UserID(parsing: "@user\(index):example.org")).map { ($0, "User \(index)") }
        }
        let event: JSONObject = [
            "type": "m.room.message", "room_id": "!large:example.org", "sender": "@alice:example.org",
            "content": ["msgtype": "m.text", "body": .string(body)],
        ]
        evaluator = PushRuleEvaluator(
            event: event, context: PushRoomContext(memberCount: count + 1, senderPowerLevel: 0, notificationPowerLevels: [:])
        )
    }

    /// Milliseconds per run of each way, best of `runs`, and whether they agreed.
    func run(runs: Int) -> (together: Double, alone: Double, agree: Bool) {
        var together = Double.infinity, alone = Double.infinity
        var agree = true
        for _ in 0..<max(1, runs) {
            var start = now()
            let bulk = evaluator.predefinedDecisions(for: members)
            together = min(together, (now() - start) * 1000)
            start = now()
            let single = members.map { evaluator.decision(for: .predefined(for: $0.userID), displayName: $0.displayName) }
            alone = min(alone, (now() - start) * 1000)
            agree = agree && bulk == single
        }
        return (together, alone, agree)
    }
}
