import MatrixAPI
import MatrixCore
import MatrixEvents
import RoomGraph

/// Whom an event notifies: the room's joined members other than its sender for whom the spec's
/// default push rules decide `notify`, with whether it highlights. Stored with the event, they
/// are the counts of `/sync`'s `unread_notifications`. (User-defined rules come with pushers.)
struct NotificationRecipients {
    /// A joined member with their rules, built once per batch rather than once per event.
    struct Member {
        let userID: String
        let displayName: String?
        let rules: PushRuleset
    }

    let members: [Member]

    /// The room's joined members and their display names, as read once per batch.
    init(members: [(userID: String, displayName: String?)]) {
        self.members = members.compactMap { member in
            guard let userID = try? UserID(parsing: member.userID) else { return nil }
            return Member(userID: member.userID, displayName: member.displayName, rules: .predefined(for: userID))
        }
    }

    /// The recipients of `event`, checked against `state`, the room's state before it.
    func recipients(of event: PDU, state: [StateKey: PDU], rules: RoomVersionRules)
        -> [(userID: String, highlight: Bool)] {
        let sender = event.sender.description
        let context = PushRoomContext(
            memberCount: members.count,
            senderPowerLevel: RoomPowerLevels.level(of: sender, in: state, rules: rules),
            notificationPowerLevels: RoomPowerLevels.notificationLevels(in: state)
        )
        let recipients = members.filter { $0.userID != sender }
        let decisions = PushRuleEvaluator(event: event.json, context: context)
            .decisions(for: recipients.map { ($0.rules, $0.displayName) })
        return zip(recipients, decisions).compactMap { member, decision in
            decision.notify ? (member.userID, decision.highlight) : nil
        }
    }
}
