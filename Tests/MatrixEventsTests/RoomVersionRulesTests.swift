import MatrixEvents
import Testing

@Suite("Room version rules")
struct RoomVersionRulesTests {
    @Test("stable versions 1 to 12 and the default")
    func registry() throws {
        #expect(RoomVersionID.stable.map(\.description) == (1...12).map(String.init))
        #expect(RoomVersionID.defaultVersion == "12")
        for id in RoomVersionID.stable {
            let rules = try #require(RoomVersionRules.rules(for: id))
            #expect(rules.id == id && rules.disposition == .stable)
        }
        #expect(RoomVersionRules.rules(for: "13") == nil)
    }

    @Test("unstable versions Synapse knows", arguments: ["org.matrix.msc3757.10", "org.matrix.msc3757.11", "org.matrix.hydra.11"])
    func unstable(_ id: String) throws {
        let rules = try #require(RoomVersionID(id).rules)
        #expect(rules.disposition == .unstable)
    }

    @Test("features switch on at the versions the spec says")
    func features() throws {
        func firstVersion(where feature: (RoomVersionRules) -> Bool) -> String? {
            RoomVersionID.stable.first { RoomVersionRules.rules(for: $0).map(feature) ?? false }?.description
        }
        #expect(firstVersion { $0.stateResolution == .v2 } == "2")
        #expect(firstVersion { $0.eventIDFormat == .base64 } == "3")
        #expect(firstVersion { $0.eventIDFormat == .urlSafeBase64 } == "4")
        #expect(firstVersion { $0.enforceKeyValidity } == "5")
        #expect(firstVersion { $0.strictCanonicalJSON } == "6")
        #expect(firstVersion { !$0.specialCaseAliasesAuth } == "6")
        #expect(firstVersion { $0.knockJoinRule } == "7")
        #expect(firstVersion { $0.restrictedJoinRule } == "8")
        #expect(firstVersion { $0.knockRestrictedJoinRule } == "10")
        #expect(firstVersion { $0.integerOnlyPowerLevels } == "10")
        #expect(firstVersion { $0.implicitRoomCreator } == "11")
        #expect(firstVersion { $0.roomIDFromCreateEvent } == "12")
        #expect(firstVersion { $0.ownedStateKeys } == nil)
        #expect(RoomVersionRules.msc3757v11.ownedStateKeys && RoomVersionRules.msc3757v11.redaction == RoomVersionRules.v11.redaction)
        #expect(RoomVersionRules.hydra11.roomIDFromCreateEvent)
    }
}
