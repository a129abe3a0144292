import MatrixAPI
import MatrixCore
import MatrixEvents
import RoomGraph

/// Whom an event notifies: the room's joined members other than its sender for whom the spec's
/// default push rules decide `notify`, with whether it highlights. Stored with the event, they
/// are the counts of `/sync`'s `unread_notifications`. (User-defined rules come with pushers;
/// members who have them will need their own rules evaluated, ``PushRuleEvaluator/decision(for:displayName:)``.)
struct NotificationRecipients {
    /// A joined member, parsed once per batch rather than once per event.
    struct Member {
        let userID: UserID
        let displayName: String?
    }

    let members: [Member]

    /// The room's joined members and their display names, as read once per batch.
    init(members: [(userID: String, displayName: String?)]) {
        self.members = members.compactMap { member in
            (try? UserID(parsing: member.userID)).map { Member(userID: $0, displayName: member.displayName) }
        }
    }

    /// The recipients of `event`, checked against `state`, the room's state before it.
    func recipients(of event: PDU, state: [StateKey: PDU], rules: RoomVersionRules)
        -> [(userID: String, highlight: Bool)] {
        let sender = event.sender
        let context = PushRoomContext(
            memberCount: members.count,
            senderPowerLevel: RoomPowerLevels.level(of: sender.description, in: state, rules: rules),
            notificationPowerLevels: RoomPowerLevels.notificationLevels(in: state)
        )
        let recipients = members.filter { $0.userID != sender }
        let decisions = PushRuleEvaluator(event: event.json, context: context)
            .predefinedDecisions(for: recipients.map { ($0.userID, $0.displayName) })
        return zip(recipients, decisions).compactMap { member, decision in
            decision.notify ? (member.userID.description, decision.highlight) : nil
        }
    }
}
