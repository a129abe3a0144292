import MatrixCore
import MatrixCrypto
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

@Suite("Authorization rules: m.room.member")
struct MembershipRulesTests {
    // MARK: join

    @Test("the creator's first join after the create event is allowed", arguments: AuthVersions.all)
    func creatorFirstJoin(version: String) {
        let room = TestRoom(version: RoomVersionID(version))
        let join = room.timeline[1]
        let createOnly = [room.createEvent.stateSlot!: room.createEvent]
        #expect((try? AuthorizationRules.check(join, authState: createOnly, rules: room.rules)) != nil)
    }

    @Test("someone else's first join after the create event is not the creator's")
    func nonCreatorFirstJoin() {
        let room = TestRoom(version: "10")
        var bare = room
        let bobJoin = bare.draft(type: "m.room.member", stateKey: AuthUsers.bob, content: ["membership": "join"],
                                 sender: AuthUsers.bob, prevEvents: [room.createEvent.eventID])
        let createOnly = [room.createEvent.stateSlot!: room.createEvent]
        #expect(throws: AuthorizationError.self) {
            try AuthorizationRules.check(bobJoin, authState: createOnly, rules: room.rules)
        }
        bare.join(AuthUsers.bob)
    }

    @Test("joining a public room is allowed; joining for someone else is not", arguments: AuthVersions.all)
    func publicJoin(version: String) {
        let room = TestRoom(version: RoomVersionID(version))
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.bob,
                                              content: ["membership": "join"], sender: AuthUsers.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.bob,
                                              content: ["membership": "join"], sender: AuthUsers.alice)) == .cannotJoinForOthers)
    }

    @Test("an invite-only room needs an invite", arguments: AuthVersions.all)
    func inviteOnlyJoin(version: String) {
        var room = TestRoom(version: RoomVersionID(version), joinRule: "invite")
        #expect(room.rejection(of: joinDraft(room, AuthUsers.bob)) == .notInvited)
        room.invite(AuthUsers.bob, by: AuthUsers.alice)
        #expect(room.rejection(of: joinDraft(room, AuthUsers.bob)) == nil)
    }

    @Test("a banned user cannot join, even a public room")
    func bannedJoin() {
        var room = TestRoom(version: "11")
        room.ban(AuthUsers.bob, by: AuthUsers.alice)
        #expect(room.rejection(of: joinDraft(room, AuthUsers.bob)) == .banned)
    }

    @Test("without a join rules event the room is invite-only")
    func missingJoinRules() {
        var room = TestRoom(version: "10")
        var state = room.stateEvents
        state[StateKey(type: "m.room.join_rules", stateKey: "")] = nil
        #expect(throws: AuthorizationError(.notInvited, "You are not invited to this room.")) {
            try AuthorizationRules.check(joinDraft(room, AuthUsers.bob), authState: state, rules: room.rules)
        }
        room.join(AuthUsers.bob)
    }

    @Test("an unknown join rule forbids joining")
    func unknownJoinRule() {
        let room = TestRoom(version: "10", joinRule: "private")
        #expect(room.rejection(of: joinDraft(room, AuthUsers.bob)) == .joinNotAllowed)
    }

    // MARK: restricted joins

    @Test("restricted join rule exists from v8; knock_restricted from v10", arguments: AuthVersions.all)
    func restrictedByVersion(version: String) {
        let rules = RoomVersionRules.rules(for: RoomVersionID(version))!
        for rule in ["restricted", "knock_restricted"] {
            var room = TestRoom(version: RoomVersionID(version), joinRule: rule)
            room.join(AuthUsers.carol, content: [:])  // may or may not be allowed: built regardless
            let join = joinDraft(room, AuthUsers.bob, content: ["join_authorised_via_users_server": .string(AuthUsers.alice)])
            let supported = rule == "restricted" ? rules.restrictedJoinRule : rules.knockRestrictedJoinRule
            #expect(room.rejection(of: join) == (supported ? nil : .joinNotAllowed), "\(rule)")
        }
    }

    @Test("restricted joins need a joined authoriser with invite power", arguments: ["8", "9", "10", "11", "12"])
    func restrictedAuthoriser(version: String) {
        var room = TestRoom(version: RoomVersionID(version), joinRule: "restricted")
        room.setPowerLevels(users: room.rules.privilegedRoomCreators ? [:] : [AuthUsers.alice: 100], by: AuthUsers.alice) {
            $0["invite"] = 50
        }
        room.join(AuthUsers.carol, content: ["join_authorised_via_users_server": .string(AuthUsers.alice)])
        func attempt(_ content: JSONObject) -> AuthorizationError.Code? {
            room.rejection(of: joinDraft(room, AuthUsers.bob, content: content))
        }
        #expect(attempt(["join_authorised_via_users_server": .string(AuthUsers.alice)]) == nil)
        #expect(attempt([:]) == .missingAuthorisingUser)
        #expect(attempt(["join_authorised_via_users_server": .string(AuthUsers.mallory)]) == .authorisingUserNotJoined)
        #expect(attempt(["join_authorised_via_users_server": .string(AuthUsers.carol)]) == .authorisingUserCannotInvite)
    }

    @Test("an invited user joins a restricted room without an authoriser")
    func restrictedInvited() {
        var room = TestRoom(version: "10", joinRule: "restricted")
        room.invite(AuthUsers.bob, by: AuthUsers.alice)
        #expect(room.rejection(of: joinDraft(room, AuthUsers.bob)) == nil)
    }

    // MARK: invite

    @Test("invites need a joined sender with invite power and a target neither joined nor banned")
    func invites() {
        var room = TestRoom(version: "10")
        room.setPowerLevels(users: [AuthUsers.alice: 100], by: AuthUsers.alice) { $0["invite"] = 50 }
        room.join(AuthUsers.bob)
        room.join(AuthUsers.carol)
        room.ban(AuthUsers.mallory, by: AuthUsers.alice)
        func invite(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "invite"],
                                          sender: sender))
        }
        #expect(invite(AuthUsers.dave, by: AuthUsers.alice) == nil)
        #expect(invite(AuthUsers.dave, by: AuthUsers.bob) == .insufficientPowerToInvite)
        #expect(invite(AuthUsers.dave, by: AuthUsers.remote) == .senderNotJoined)
        #expect(invite(AuthUsers.carol, by: AuthUsers.alice) == .alreadyJoined)
        #expect(invite(AuthUsers.mallory, by: AuthUsers.alice) == .banned)
    }

    // MARK: third-party invites

    @Test("third-party invites need the token's invite by the same sender and a valid signature")
    func thirdPartyInvite() throws {
        let key = try Ed25519SigningKey(seed: [UInt8](repeating: 7, count: 32))
        var room = TestRoom(version: "10")
        room.send(type: "m.room.third_party_invite", stateKey: "tok", content: [
            "display_name": "b***@example.com", "key_validity_url": "https://id.example/isvalid",
            "public_key": .string(Base64.encodeUnpadded(key.publicKey)),
        ], sender: AuthUsers.alice)
        func invite(mxid: String, token: String = "tok", signer: Ed25519SigningKey, sender: String = AuthUsers.alice)
            throws -> AuthorizationError.Code? {
            let signed = try JSONSigning.sign(["mxid": .string(mxid), "token": .string(token),
                                               "sender": .string(sender)],
                                              serverName: "id.example", keyID: "ed25519:0", key: signer)
            let content: JSONObject = ["membership": "invite",
                                       "third_party_invite": ["display_name": "b***", "signed": .object(signed)]]
            return room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.bob, content: content,
                                                 sender: sender))
        }
        #expect(try invite(mxid: AuthUsers.bob, signer: key) == nil)
        #expect(try invite(mxid: AuthUsers.bob, signer: .generate()) == .invalidThirdPartyInvite)
        #expect(try invite(mxid: AuthUsers.carol, signer: key) == .invalidThirdPartyInvite)
        #expect(try invite(mxid: AuthUsers.bob, token: "other", signer: key) == .invalidThirdPartyInvite)
        room.join(AuthUsers.carol)
        #expect(try invite(mxid: AuthUsers.bob, signer: key, sender: AuthUsers.carol) == .invalidThirdPartyInvite)
        room.ban(AuthUsers.bob, by: AuthUsers.alice)
        #expect(try invite(mxid: AuthUsers.bob, signer: key) == .banned)
    }

    @Test("m.room.third_party_invite itself needs invite power")
    func thirdPartyInviteEvent() {
        var room = TestRoom(version: "10")
        room.setPowerLevels(users: [AuthUsers.alice: 100], by: AuthUsers.alice) { $0["invite"] = 50 }
        room.join(AuthUsers.bob)
        let byBob = room.draft(type: "m.room.third_party_invite", stateKey: "t", content: [:], sender: AuthUsers.bob)
        let byAlice = room.draft(type: "m.room.third_party_invite", stateKey: "t", content: [:], sender: AuthUsers.alice)
        #expect(room.rejection(of: byBob) == .insufficientPowerToInvite)
        #expect(room.rejection(of: byAlice) == nil)
    }

    // MARK: leave, kick, unban

    @Test("leaving: self while joined, invited or (v7+) knocked; kicks need kick power above the target",
          arguments: AuthVersions.all)
    func leaveAndKick(version: String) {
        var room = TestRoom(version: RoomVersionID(version), joinRule: "invite")
        let rules = room.rules
        let levels: [String: Int64] = rules.privilegedRoomCreators ? [AuthUsers.bob: 50, AuthUsers.carol: 50]
                                                                   : [AuthUsers.alice: 100, AuthUsers.bob: 50, AuthUsers.carol: 50]
        room.setPowerLevels(users: levels, by: AuthUsers.alice)
        for user in [AuthUsers.bob, AuthUsers.carol, AuthUsers.dave] {
            room.invite(user, by: AuthUsers.alice)
            room.join(user)
        }
        room.invite(AuthUsers.mallory, by: AuthUsers.alice)
        func leave(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "leave"],
                                          sender: sender))
        }
        #expect(leave(AuthUsers.dave, by: AuthUsers.dave) == nil)
        #expect(leave(AuthUsers.mallory, by: AuthUsers.mallory) == nil)   // rejecting an invite
        #expect(leave(AuthUsers.dave, by: AuthUsers.bob) == nil)          // kick: 50 ≥ kick 50, 50 > 0
        #expect(leave(AuthUsers.carol, by: AuthUsers.bob) == .insufficientPowerToKick)   // equal power
        #expect(leave(AuthUsers.bob, by: AuthUsers.dave) == .insufficientPowerToKick)    // 0 < kick 50
        #expect(leave(AuthUsers.remote, by: AuthUsers.remote) == .senderNotJoined)
    }

    @Test("unbanning needs ban power")
    func unban() {
        var room = TestRoom(version: "10")
        room.setPowerLevels(users: [AuthUsers.alice: 100, AuthUsers.bob: 50], by: AuthUsers.alice) { $0["ban"] = 60 }
        room.join(AuthUsers.bob)
        room.ban(AuthUsers.mallory, by: AuthUsers.alice)
        let byBob = room.draft(type: "m.room.member", stateKey: AuthUsers.mallory, content: ["membership": "leave"],
                               sender: AuthUsers.bob)
        let byAlice = room.draft(type: "m.room.member", stateKey: AuthUsers.mallory, content: ["membership": "leave"],
                                 sender: AuthUsers.alice)
        #expect(room.rejection(of: byBob) == .insufficientPowerToUnban)
        #expect(room.rejection(of: byAlice) == nil)
    }

    // MARK: ban

    @Test("bans need ban power and more power than the target", arguments: AuthVersions.all)
    func bans(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        let creatorLevels: [String: Int64] = room.rules.privilegedRoomCreators ? [:] : [AuthUsers.alice: 100]
        room.setPowerLevels(users: creatorLevels.merging([AuthUsers.bob: 50, AuthUsers.carol: 50]) { a, _ in a }, by: AuthUsers.alice)
        for user in [AuthUsers.bob, AuthUsers.carol, AuthUsers.dave] { room.join(user) }
        func ban(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "ban"],
                                          sender: sender))
        }
        #expect(ban(AuthUsers.dave, by: AuthUsers.bob) == nil)
        #expect(ban(AuthUsers.mallory, by: AuthUsers.bob) == nil)              // not even in the room
        #expect(ban(AuthUsers.carol, by: AuthUsers.bob) == .insufficientPowerToBan)
        #expect(ban(AuthUsers.bob, by: AuthUsers.dave) == .insufficientPowerToBan)
        #expect(ban(AuthUsers.alice, by: AuthUsers.bob) == .insufficientPowerToBan)
    }

    // MARK: knock

    @Test("knocking exists from v7 on knock rooms (v10 also knock_restricted)", arguments: AuthVersions.all)
    func knock(version: String) {
        let rules = RoomVersionRules.rules(for: RoomVersionID(version))!
        for joinRule in ["knock", "knock_restricted", "invite", "public"] {
            let room = TestRoom(version: RoomVersionID(version), joinRule: joinRule)
            let knock = room.draft(type: "m.room.member", stateKey: AuthUsers.bob, content: ["membership": "knock"],
                                   sender: AuthUsers.bob)
            let allowed = rules.knockJoinRule
                && (joinRule == "knock" || (joinRule == "knock_restricted" && rules.knockRestrictedJoinRule))
            let expected: AuthorizationError.Code? = allowed ? nil : (rules.knockJoinRule ? .cannotKnock : .invalidMembership)
            #expect(room.rejection(of: knock) == expected, "join rule \(joinRule)")
        }
    }

    @Test("knocks only for oneself, not when joined, invited or banned")
    func knockRestrictions() {
        var room = TestRoom(version: "10", joinRule: "knock")
        func knock(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "knock"],
                                          sender: sender))
        }
        #expect(knock(AuthUsers.bob, by: AuthUsers.carol) == .cannotKnock)
        #expect(knock(AuthUsers.alice, by: AuthUsers.alice) == .alreadyJoined)
        room.invite(AuthUsers.bob, by: AuthUsers.alice)
        #expect(knock(AuthUsers.bob, by: AuthUsers.bob) == .cannotKnock)
        room.ban(AuthUsers.carol, by: AuthUsers.alice)
        #expect(knock(AuthUsers.carol, by: AuthUsers.carol) == .banned)
        room.knock(AuthUsers.dave)
        // a knocking user may withdraw
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: AuthUsers.dave,
                                              content: ["membership": "leave"], sender: AuthUsers.dave)) == nil)
        // and be invited into a knock room, then join
        room.invite(AuthUsers.dave, by: AuthUsers.alice)
        #expect(room.rejection(of: joinDraft(room, AuthUsers.dave)) == nil)
    }

    // MARK: malformed and federation

    @Test("member events need a membership and a user ID state key")
    func malformed() {
        let room = TestRoom(version: "10")
        let noMembership = room.draft(type: "m.room.member", stateKey: AuthUsers.bob, content: [:], sender: AuthUsers.bob)
        let badKey = room.draft(type: "m.room.member", stateKey: "bob", content: ["membership": "join"], sender: AuthUsers.bob)
        let unknown = room.draft(type: "m.room.member", stateKey: AuthUsers.bob, content: ["membership": "dance"],
                                 sender: AuthUsers.alice)
        #expect(room.rejection(of: noMembership) == .invalidMembership)
        #expect(room.rejection(of: badKey) == .invalidMembership)
        #expect(room.rejection(of: unknown) == .invalidMembership)
    }

    @Test("m.federate false keeps other servers' users out")
    func federate() {
        let room = TestRoom(version: "10", createContent: ["m.federate": false])
        #expect(room.rejection(of: joinDraft(room, AuthUsers.remote)) == .roomNotFederatable)
        #expect(room.rejection(of: joinDraft(room, AuthUsers.bob)) == nil)
        let open = TestRoom(version: "10", createContent: ["m.federate": true])
        #expect(open.rejection(of: joinDraft(open, AuthUsers.remote)) == nil)
    }

    private func joinDraft(_ room: TestRoom, _ user: String, content: JSONObject = [:]) -> PDU {
        var content = content
        content["membership"] = "join"
        return room.draft(type: "m.room.member", stateKey: user, content: content, sender: user)
    }
}
