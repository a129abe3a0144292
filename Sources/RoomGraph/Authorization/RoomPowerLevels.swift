import MatrixCore
import MatrixEvents

/// Power levels read outside the auth rules, as push rules read them.
public enum RoomPowerLevels {
    /// `user`'s power level in `state` (which must hold the create event; 0 without it), read as
    /// the auth rules read it: infinite for v12 creators, `users[user]`, `users_default`, or
    /// 100 for the creator of a room without power levels. A malformed level reads as 0.
    public static func level(of user: String, in state: [StateKey: PDU], rules: RoomVersionRules) -> Int64 {
        guard let create = state[StateKey(type: EventType.create, stateKey: "")],
              let authState = try? AuthState(state, rules: rules, for: create) else { return 0 }
        return (try? authState.userLevel(user)) ?? 0
    }

    /// The power levels' `notifications` object: the level each kind of notification needs.
    public static func notificationLevels(in state: [StateKey: PDU]) -> [String: Int64] {
        let powerLevels = state[StateKey(type: EventType.powerLevels, stateKey: "")]
        var levels: [String: Int64] = [:]
        for (key, value) in powerLevels?.content["notifications"]?.objectValue ?? [:] {
            if let level = AuthState.coercedLevel(value) { levels[key] = level }
        }
        return levels
    }
}
