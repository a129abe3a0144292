import MatrixCore
import MatrixEvents

extension AuthorizationRules {
    /// The named levels a power levels change may not move past the sender's own level.
    static let namedLevels = ["users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"]

    /// `m.room.power_levels` rules: the content is well formed (user IDs as keys of `users`,
    /// integer levels, v10+ no strings; v12+ no creators in `users`), and against the previous
    /// power levels no level above the sender's own is added, removed or changed, and no other
    /// user at the sender's level is changed.
    static func checkPowerLevels(_ event: PDU, state: AuthState) throws(AuthorizationError) {
        let rules = state.rules
        let content = event.content
        let newUsers = content["users"]?.objectValue ?? [:]
        if let users = content["users"], users.objectValue == nil, rules.integerOnlyPowerLevels {
            throw AuthorizationError(.invalidPowerLevels, "\(users) must be a dict wherein all the values are integers.")
        }
        for (user, value) in newUsers {
            guard user.hasPrefix("@"), UserID(user) != nil else {
                throw AuthorizationError(.invalidPowerLevels, "Not a valid user_id: \(user)")
            }
            guard AuthState.coercedLevel(value) != nil else {
                throw AuthorizationError(.invalidPowerLevels, "Not a valid power level: \(value)")
            }
        }

        if rules.privilegedRoomCreators {
            let creators = [state.create.sender.description]
                + (state.create.content[ContentField.additionalCreators]?.arrayValue?.compactMap(\.stringValue) ?? [])
            if let creator = creators.first(where: { newUsers.contains(key: $0) }) {
                throw AuthorizationError(.creatorInPowerLevelUsers, "Creator user \(creator) must not appear in content.users")
            }
        }

        if rules.integerOnlyPowerLevels {
            for name in namedLevels {
                if let value = content[name], value.integerValue == nil {
                    throw AuthorizationError(.invalidPowerLevels, "\(value) must be an integer.")
                }
            }
            for name in ["events", "notifications", "users"] {
                guard let value = content[name] else { continue }
                guard let map = value.objectValue, map.allSatisfy({ $0.value.integerValue != nil }) else {
                    throw AuthorizationError(.invalidPowerLevels, "\(value) must be a dict wherein all the values are integers.")
                }
            }
        }

        guard let previous = state.powerLevels else { return }
        let userLevel = try state.userLevel(event.sender.description)
        let old = previous.content

        var checks: [(key: String, group: String?)] = namedLevels.map { ($0, nil) }
        func addKeys(_ group: String) {
            var seen = Set<String>()
            for key in (old[group]?.objectValue?.keys ?? []) + (content[group]?.objectValue?.keys ?? [])
            where seen.insert(key).inserted {
                checks.append((key, group))
            }
        }
        addKeys("users")
        addKeys("events")
        if rules.limitNotificationsPowerLevels { addKeys("notifications") }

        for (key, group) in checks {
            let oldLevel = try level(in: old, group: group, key: key)
            let newLevel = try level(in: content, group: group, key: key)
            if let oldLevel, let newLevel, oldLevel == newLevel { continue }
            if group == "users", key != event.sender.description, oldLevel == userLevel {
                throw AuthorizationError(.powerLevelEqualToOwn,
                                         "You don't have permission to remove ops level equal to your own")
            }
            if (oldLevel.map { $0 > userLevel } ?? false) || (newLevel.map { $0 > userLevel } ?? false) {
                throw AuthorizationError(.powerLevelAboveOwn,
                                         "You don't have permission to add ops level greater than your own")
            }
        }
    }

    /// `content[key]` or `content[group][key]` as a level; `nil` when absent.
    private static func level(in content: JSONObject, group: String?, key: String) throws(AuthorizationError) -> Int64? {
        let container = group.map { content[$0]?.objectValue ?? [:] } ?? content
        guard let value = container[key] else { return nil }
        return try AuthState.level(value, field: group.map { "\($0)[\(key)]" } ?? key)
    }
}
