import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

/// Discrepancies against Synapse's `event_auth.py` found in review, one test each.
@Suite("Authorization rules: parity with Synapse")
struct SynapseParityTests {
    /// v1–v10 read only the top-level `redacts` (Synapse's `EventBase.redacts`); a v1/v2 redaction
    /// below the redact level without one names no other server's event and is allowed.
    @Test("v1–v2: a redaction with redacts only in content is not checked against another server",
          arguments: ["1", "2"])
    func redactsInContentBeforeV11(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        room.join(User.bob)
        room.join(User.remote)
        let otherServer = room.message(from: User.remote)
        let contentOnly = room.draft(type: "m.room.redaction", content: ["redacts": .string(otherServer.eventID.description)],
                                     sender: User.bob)
        #expect(room.rejection(of: contentOnly) == nil)
        let topLevel = room.draft(type: "m.room.redaction", content: [:], sender: User.bob,
                                  extra: ["redacts": .string(otherServer.eventID.description)])
        #expect(room.rejection(of: topLevel) == .insufficientPowerToRedact)
    }

    /// Before v10 levels are read with Python's `int()`: underscores between digits and any
    /// Unicode decimal digits and whitespace are accepted.
    @Test("v1–v9: string levels follow Python's int(): underscores, Unicode digits and spaces")
    func pythonIntStrings() {
        var room = TestRoom(version: "9")
        room.join(User.bob)
        _ = room.setPowerLevels(["users": [User.alice: 100, User.bob: 50], "state_default": 50], by: User.alice)
        func kick(_ level: String) -> AuthorizationError.Code? {
            var content = room["m.room.power_levels"]!.content
            content["kick"] = .string(level)
            return room.rejection(of: room.draft(type: "m.room.power_levels", stateKey: "", content: content,
                                                 sender: User.bob))
        }
        for valid in ["4_0", "-1_000", "\u{FF14}\u{FF10}", "\u{0664}\u{0660}", "\u{00A0}40\u{2003}", " +7\n"] {
            #expect(kick(valid) == nil, "\(valid)")
        }
        #expect(kick("6_0") == .powerLevelAboveOwn)
        for invalid in ["_40", "40_", "4__0", "4_", "+", "-_4", "4 0", "0x10", "1e3", "4.0", ""] {
            #expect(kick(invalid) == .invalidPowerLevels, "\(invalid)")
        }
    }

    @Test("v1–v9: a power level of \"5_0\" is a level of 50")
    func underscoreLevelInPowerLevels() {
        var room = TestRoom(version: "9")
        room.join(User.bob)
        _ = room.setPowerLevels(["users": [User.alice: 100, User.bob: "5_0"], "state_default": 50], by: User.alice)
        #expect(room.rejection(of: room.draft(type: "m.room.topic", stateKey: "", content: [:], sender: User.bob)) == nil)
    }
}
