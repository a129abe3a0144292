import MatrixCore

extension PushRuleset {
    /// The server-default rules the spec predefines, for `userID`.
    ///
    /// Spec: https://spec.matrix.org/v1.16/client-server-api/#predefined-rules. The order within
    /// each kind is the spec's, which is their priority.
    public static func predefined(for userID: UserID) -> PushRuleset {
        PushRuleset(rules: [
            .override: overrideHead + [inviteForMe(userID), memberEvent, isUserMention(userID)] + overrideTail,
            .content: [containsUserName(userID)],
            .room: [],
            .sender: [],
            .underride: predefinedUnderride,
        ])
    }

    /// The predefined rules that name `userID`, with their kinds: the only ones whose outcome
    /// depends on who the user is (``PushRuleEvaluator/predefinedDecisions(for:)``).
    static func predefinedRules(naming userID: UserID) -> [(kind: PushRuleKind, rule: PushRule)] {
        [(.override, inviteForMe(userID)), (.override, isUserMention(userID)), (.override, containsDisplayName),
         (.content, containsUserName(userID))]
    }

    // The other rules are the same for every user, and built once, as are the actions of the
    // rules that name the user (built for each member of a room an event notifies).

    private static let notifyWithSound: [PushAction] = [.notify, .sound("default")]
    private static let highlightWithSound: [PushAction] = [.notify, .sound("default"), .highlight]

    private static func inviteForMe(_ userID: UserID) -> PushRule {
        PushRule(
            ruleID: ".m.rule.invite_for_me", isDefault: true,
            conditions: [
                .eventMatch(key: "type", pattern: "m.room.member"),
                .eventMatch(key: "content.membership", pattern: "invite"),
                .eventMatch(key: "state_key", pattern: userID.description),
            ],
            actions: notifyWithSound
        )
    }

    private static func isUserMention(_ userID: UserID) -> PushRule {
        PushRule(
            ruleID: ".m.rule.is_user_mention", isDefault: true,
            conditions: [.eventPropertyContains(key: #"content.m\.mentions.user_ids"#, value: .string(userID.description))],
            actions: highlightWithSound
        )
    }

    private static func containsUserName(_ userID: UserID) -> PushRule {
        PushRule(ruleID: ".m.rule.contains_user_name", isDefault: true, pattern: String(userID.localpart),
                 actions: highlightWithSound)
    }

    private static let containsDisplayName = PushRule(
        ruleID: ".m.rule.contains_display_name", isDefault: true, conditions: [.containsDisplayName],
        actions: highlightWithSound
    )

    private static let overrideHead: [PushRule] = [
        PushRule(ruleID: ".m.rule.master", isDefault: true, enabled: false, conditions: [], actions: []),
        PushRule(ruleID: ".m.rule.suppress_notices", isDefault: true,
                 conditions: [.eventMatch(key: "content.msgtype", pattern: "m.notice")], actions: []),
    ]

    private static let memberEvent = PushRule(
        ruleID: ".m.rule.member_event", isDefault: true, conditions: [.eventMatch(key: "type", pattern: "m.room.member")],
        actions: []
    )

    private static let overrideTail: [PushRule] = [
        containsDisplayName,
        PushRule(ruleID: ".m.rule.is_room_mention", isDefault: true,
                 conditions: [
                    .eventPropertyIs(key: #"content.m\.mentions.room"#, value: true),
                    .senderNotificationPermission(key: "room"),
                 ],
                 actions: [.notify, .highlight]),
        PushRule(ruleID: ".m.rule.roomnotif", isDefault: true,
                 conditions: [
                    .eventMatch(key: "content.body", pattern: "@room"),
                    .senderNotificationPermission(key: "room"),
                 ],
                 actions: [.notify, .highlight]),
        PushRule(ruleID: ".m.rule.tombstone", isDefault: true,
                 conditions: [
                    .eventMatch(key: "type", pattern: "m.room.tombstone"),
                    .eventMatch(key: "state_key", pattern: ""),
                 ],
                 actions: [.notify, .highlight]),
        PushRule(ruleID: ".m.rule.reaction", isDefault: true,
                 conditions: [.eventMatch(key: "type", pattern: "m.reaction")], actions: []),
        PushRule(ruleID: ".m.rule.room.server_acl", isDefault: true,
                 conditions: [
                    .eventMatch(key: "type", pattern: "m.room.server_acl"),
                    .eventMatch(key: "state_key", pattern: ""),
                 ],
                 actions: []),
        PushRule(ruleID: ".m.rule.suppress_edits", isDefault: true,
                 conditions: [.eventPropertyIs(key: #"content.m\.relates_to.rel_type"#, value: "m.replace")],
                 actions: []),
    ]

    private static let predefinedUnderride: [PushRule] = [
        PushRule(ruleID: ".m.rule.call", isDefault: true,
                 conditions: [.eventMatch(key: "type", pattern: "m.call.invite")], actions: [.notify, .sound("ring")]),
        PushRule(ruleID: ".m.rule.encrypted_room_one_to_one", isDefault: true,
                 conditions: [.roomMemberCount(is: "2"), .eventMatch(key: "type", pattern: "m.room.encrypted")],
                 actions: [.notify, .sound("default")]),
        PushRule(ruleID: ".m.rule.room_one_to_one", isDefault: true,
                 conditions: [.roomMemberCount(is: "2"), .eventMatch(key: "type", pattern: "m.room.message")],
                 actions: [.notify, .sound("default")]),
        PushRule(ruleID: ".m.rule.message", isDefault: true,
                 conditions: [.eventMatch(key: "type", pattern: "m.room.message")], actions: [.notify]),
        PushRule(ruleID: ".m.rule.encrypted", isDefault: true,
                 conditions: [.eventMatch(key: "type", pattern: "m.room.encrypted")], actions: [.notify]),
    ]
}
