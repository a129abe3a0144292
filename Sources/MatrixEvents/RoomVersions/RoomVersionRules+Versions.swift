extension RoomVersionRules {
    public static let v1 = RoomVersionRules(
        id: "1", disposition: .stable, eventIDFormat: .explicit, stateResolution: .v1, redaction: .v1,
        enforceKeyValidity: false, specialCaseAliasesAuth: true, strictCanonicalJSON: false,
        limitNotificationsPowerLevels: false, knockJoinRule: false, restrictedJoinRule: false,
        knockRestrictedJoinRule: false, integerOnlyPowerLevels: false, ownedStateKeys: false,
        implicitRoomCreator: false, privilegedRoomCreators: false, roomIDFromCreateEvent: false
    )
    public static let v2 = v1.with { $0.id = "2"; $0.stateResolution = .v2 }
    public static let v3 = v2.with { $0.id = "3"; $0.eventIDFormat = .base64 }
    public static let v4 = v3.with { $0.id = "4"; $0.eventIDFormat = .urlSafeBase64 }
    public static let v5 = v4.with { $0.id = "5"; $0.enforceKeyValidity = true }
    public static let v6 = v5.with {
        $0.id = "6"
        $0.redaction = .v6
        $0.specialCaseAliasesAuth = false
        $0.strictCanonicalJSON = true
        $0.limitNotificationsPowerLevels = true
    }
    public static let v7 = v6.with { $0.id = "7"; $0.knockJoinRule = true }
    public static let v8 = v7.with { $0.id = "8"; $0.redaction = .v8; $0.restrictedJoinRule = true }
    public static let v9 = v8.with { $0.id = "9"; $0.redaction = .v9 }
    public static let v10 = v9.with {
        $0.id = "10"
        $0.knockRestrictedJoinRule = true
        $0.integerOnlyPowerLevels = true
    }
    public static let v11 = v10.with {
        $0.id = "11"
        $0.redaction = .v11
        $0.implicitRoomCreator = true
        $0.redactsInContent = true
    }
    public static let v12 = v11.with {
        $0.id = "12"
        $0.stateResolution = .v2_1
        $0.privilegedRoomCreators = true
        $0.roomIDFromCreateEvent = true
    }

    /// MSC3757 (owned state keys) on top of v10.
    public static let msc3757v10 = v10.with {
        $0.id = "org.matrix.msc3757.10"
        $0.disposition = .unstable
        $0.ownedStateKeys = true
    }
    /// MSC3757 (owned state keys) on top of v11.
    public static let msc3757v11 = v11.with {
        $0.id = "org.matrix.msc3757.11"
        $0.disposition = .unstable
        $0.ownedStateKeys = true
    }
    /// Project Hydra, the unstable predecessor of v12.
    public static let hydra11 = v12.with { $0.id = "org.matrix.hydra.11"; $0.disposition = .unstable }

    /// Every version Trellis knows, stable ones first.
    public static let known: [RoomVersionRules] = [
        v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, msc3757v10, msc3757v11, hydra11,
    ]

    static let byID: [RoomVersionID: RoomVersionRules] = Dictionary(uniqueKeysWithValues: known.map { ($0.id, $0) })
}
