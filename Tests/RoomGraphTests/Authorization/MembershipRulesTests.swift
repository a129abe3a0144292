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
        let bobJoin = bare.draft(type: "m.room.member", stateKey: User.bob, content: ["membership": "join"],
                                 sender: User.bob, prevEvents: [room.createEvent.eventID])
        let createOnly = [room.createEvent.stateSlot!: room.createEvent]
        #expect(throws: AuthorizationError.self) {
            try AuthorizationRules.check(bobJoin, authState: createOnly, rules: room.rules)
        }
        bare.join(User.bob)
    }

    @Test("joining a public room is allowed; joining for someone else is not", arguments: AuthVersions.all)
    func publicJoin(version: String) {
        let room = TestRoom(version: RoomVersionID(version))
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: User.bob,
                                              content: ["membership": "join"], sender: User.bob)) == nil)
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: User.bob,
                                              content: ["membership": "join"], sender: User.alice)) == .cannotJoinForOthers)
    }

    @Test("an invite-only room needs an invite", arguments: AuthVersions.all)
    func inviteOnlyJoin(version: String) {
        var room = TestRoom(version: RoomVersionID(version), joinRule: "invite")
        #expect(room.rejection(of: joinDraft(room, User.bob)) == .notInvited)
        room.invite(User.bob, by: User.alice)
        #expect(room.rejection(of: joinDraft(room, User.bob)) == nil)
    }

    @Test("a banned user cannot join, even a public room")
    func bannedJoin() {
        var room = TestRoom(version: "11")
        room.ban(User.bob, by: User.alice)
        #expect(room.rejection(of: joinDraft(room, User.bob)) == .banned)
    }

    @Test("without a join rules event the room is invite-only")
    func missingJoinRules() {
        var room = TestRoom(version: "10")
        var state = room.stateEvents
        state[StateKey(type: "m.room.join_rules", stateKey: "")] = nil
        #expect(throws: AuthorizationError(.notInvited, "You are not invited to this room.")) {
            try AuthorizationRules.check(joinDraft(room, User.bob), authState: state, rules: room.rules)
        }
        room.join(User.bob)
    }

    @Test("an unknown join rule forbids joining")
    func unknownJoinRule() {
        let room = TestRoom(version: "10", joinRule: "private")
        #expect(room.rejection(of: joinDraft(room, User.bob)) == .joinNotAllowed)
    }

    // MARK: restricted joins

    @Test("restricted join rule exists from v8; knock_restricted from v10", arguments: AuthVersions.all)
    func restrictedByVersion(version: String) {
        let rules = RoomVersionRules.rules(for: RoomVersionID(version))!
        for rule in ["restricted", "knock_restricted"] {
            var room = TestRoom(version: RoomVersionID(version), joinRule: rule)
            room.join(User.carol, content: [:])  // may or may not be allowed: built regardless
            let join = joinDraft(room, User.bob, content: ["join_authorised_via_users_server": .string(User.alice)])
            let supported = rule == "restricted" ? rules.restrictedJoinRule : rules.knockRestrictedJoinRule
            #expect(room.rejection(of: join) == (supported ? nil : .joinNotAllowed), "\(rule)")
        }
    }

    @Test("restricted joins need a joined authoriser with invite power", arguments: ["8", "9", "10", "11", "12"])
    func restrictedAuthoriser(version: String) {
        var room = TestRoom(version: RoomVersionID(version), joinRule: "restricted")
        room.setPowerLevels(users: room.rules.privilegedRoomCreators ? [:] : [User.alice: 100], by: User.alice) {
            $0["invite"] = 50
        }
        room.join(User.carol, content: ["join_authorised_via_users_server": .string(User.alice)])
        func attempt(_ content: JSONObject) -> AuthorizationError.Code? {
            room.rejection(of: joinDraft(room, User.bob, content: content))
        }
        #expect(attempt(["join_authorised_via_users_server": .string(User.alice)]) == nil)
        #expect(attempt([:]) == .missingAuthorisingUser)
        #expect(attempt(["join_authorised_via_users_server": .string(User.mallory)]) == .authorisingUserNotJoined)
        #expect(attempt(["join_authorised_via_users_server": .string(User.carol)]) == .authorisingUserCannotInvite)
    }

    @Test("an invited user joins a restricted room without an authoriser")
    func restrictedInvited() {
        var room = TestRoom(version: "10", joinRule: "restricted")
        room.invite(User.bob, by: User.alice)
        #expect(room.rejection(of: joinDraft(room, User.bob)) == nil)
    }

    // MARK: invite

    @Test("invites need a joined sender with invite power and a target neither joined nor banned")
    func invites() {
        var room = TestRoom(version: "10")
        room.setPowerLevels(users: [User.alice: 100], by: User.alice) { $0["invite"] = 50 }
        room.join(User.bob)
        room.join(User.carol)
        room.ban(User.mallory, by: User.alice)
        func invite(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "invite"],
                                          sender: sender))
        }
        #expect(invite(User.dave, by: User.alice) == nil)
        #expect(invite(User.dave, by: User.bob) == .insufficientPowerToInvite)
        #expect(invite(User.dave, by: User.remote) == .senderNotJoined)
        #expect(invite(User.carol, by: User.alice) == .alreadyJoined)
        #expect(invite(User.mallory, by: User.alice) == .banned)
    }

    // MARK: third-party invites

    @Test("third-party invites need the token's invite by the same sender and a valid signature")
    func thirdPartyInvite() throws {
        let key = try Ed25519SigningKey(seed: [UInt8](repeating: 7, count: 32))
        var room = TestRoom(version: "10")
        room.send(type: "m.room.third_party_invite", stateKey: "tok", content: [
            "display_name": "b***@example.com", "key_validity_url": "https://id.example/isvalid",
            "public_key": .string(Base64.encodeUnpadded(key.publicKey)),
        ], sender: User.alice)
        func invite(mxid: String, token: String = "tok", signer: Ed25519SigningKey, sender: String = User.alice)
            throws -> AuthorizationError.Code? {
            let signed = try JSONSigning.sign(["mxid": .string(mxid), "token": .string(token),
                                               "sender": .string(sender)],
                                              serverName: "id.example", keyID: "ed25519:0", key: signer)
            let content: JSONObject = ["membership": "invite",
                                       "third_party_invite": ["display_name": "b***", "signed": .object(signed)]]
            return room.rejection(of: room.draft(type: "m.room.member", stateKey: User.bob, content: content,
                                                 sender: sender))
        }
        #expect(try invite(mxid: User.bob, signer: key) == nil)
        #expect(try invite(mxid: User.bob, signer: .generate()) == .invalidThirdPartyInvite)
        #expect(try invite(mxid: User.carol, signer: key) == .invalidThirdPartyInvite)
        #expect(try invite(mxid: User.bob, token: "other", signer: key) == .invalidThirdPartyInvite)
        room.join(User.carol)
        #expect(try invite(mxid: User.bob, signer: key, sender: User.carol) == .invalidThirdPartyInvite)
        room.ban(User.bob, by: User.alice)
        #expect(try invite(mxid: User.bob, signer: key) == .banned)
    }

    @Test("m.room.third_party_invite itself needs invite power")
    func thirdPartyInviteEvent() {
        var room = TestRoom(version: "10")
        room.setPowerLevels(users: [User.alice: 100], by: User.alice) { $0["invite"] = 50 }
        room.join(User.bob)
        let byBob = room.draft(type: "m.room.third_party_invite", stateKey: "t", content: [:], sender: User.bob)
        let byAlice = room.draft(type: "m.room.third_party_invite", stateKey: "t", content: [:], sender: User.alice)
        #expect(room.rejection(of: byBob) == .insufficientPowerToInvite)
        #expect(room.rejection(of: byAlice) == nil)
    }

    // MARK: leave, kick, unban

    @Test("leaving: self while joined, invited or (v7+) knocked; kicks need kick power above the target",
          arguments: AuthVersions.all)
    func leaveAndKick(version: String) {
        var room = TestRoom(version: RoomVersionID(version), joinRule: "invite")
        let rules = room.rules
        let levels: [String: Int64] = rules.privilegedRoomCreators ? [User.bob: 50, User.carol: 50]
                                                                   : [User.alice: 100, User.bob: 50, User.carol: 50]
        room.setPowerLevels(users: levels, by: User.alice)
        for user in [User.bob, User.carol, User.dave] {
            room.invite(user, by: User.alice)
            room.join(user)
        }
        room.invite(User.mallory, by: User.alice)
        func leave(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "leave"],
                                          sender: sender))
        }
        #expect(leave(User.dave, by: User.dave) == nil)
        #expect(leave(User.mallory, by: User.mallory) == nil)   // rejecting an invite
        #expect(leave(User.dave, by: User.bob) == nil)          // kick: 50 ≥ kick 50, 50 > 0
        #expect(leave(User.carol, by: User.bob) == .insufficientPowerToKick)   // equal power
        #expect(leave(User.bob, by: User.dave) == .insufficientPowerToKick)    // 0 < kick 50
        #expect(leave(User.remote, by: User.remote) == .senderNotJoined)
    }

    @Test("unbanning needs ban power")
    func unban() {
        var room = TestRoom(version: "10")
        room.setPowerLevels(users: [User.alice: 100, User.bob: 50], by: User.alice) { $0["ban"] = 60 }
        room.join(User.bob)
        room.ban(User.mallory, by: User.alice)
        let byBob = room.draft(type: "m.room.member", stateKey: User.mallory, content: ["membership": "leave"],
                               sender: User.bob)
        let byAlice = room.draft(type: "m.room.member", stateKey: User.mallory, content: ["membership": "leave"],
                                 sender: User.alice)
        #expect(room.rejection(of: byBob) == .insufficientPowerToUnban)
        #expect(room.rejection(of: byAlice) == nil)
    }

    // MARK: ban

    @Test("bans need ban power and more power than the target", arguments: AuthVersions.all)
    func bans(version: String) {
        var room = TestRoom(version: RoomVersionID(version))
        let creatorLevels: [String: Int64] = room.rules.privilegedRoomCreators ? [:] : [User.alice: 100]
        room.setPowerLevels(users: creatorLevels.merging([User.bob: 50, User.carol: 50]) { a, _ in a }, by: User.alice)
        for user in [User.bob, User.carol, User.dave] { room.join(user) }
        func ban(_ target: String, by sender: String) -> AuthorizationError.Code? {
            room.rejection(of: room.draft(type: "m.room.member", stateKey: target, content: ["membership": "ban"],
                                          sender: sender))
        }
        #expect(ban(User.dave, by: User.bob) == nil)
        #expect(ban(User.mallory, by: User.bob) == nil)              // not even in the room
        #expect(ban(User.carol, by: User.bob) == .insufficientPowerToBan)
        #expect(ban(User.bob, by: User.dave) == .insufficientPowerToBan)
        #expect(ban(User.alice, by: User.bob) == .insufficientPowerToBan)
    }

    // MARK: knock

    @Test("knocking exists from v7 on knock rooms (v10 also knock_restricted)", arguments: AuthVersions.all)
    func knock(version: String) {
        let rules = RoomVersionRules.rules(for: RoomVersionID(version))!
        for joinRule in ["knock", "knock_restricted", "invite", "public"] {
            let room = TestRoom(version: RoomVersionID(version), joinRule: joinRule)
            let knock = room.draft(type: "m.room.member", stateKey: User.bob, content: ["membership": "knock"],
                                   sender: User.bob)
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
        #expect(knock(User.bob, by: User.carol) == .cannotKnock)
        #expect(knock(User.alice, by: User.alice) == .alreadyJoined)
        room.invite(User.bob, by: User.alice)
        #expect(knock(User.bob, by: User.bob) == .cannotKnock)
        room.ban(User.carol, by: User.alice)
        #expect(knock(User.carol, by: User.carol) == .banned)
        room.knock(User.dave)
        // a knocking user may withdraw
        #expect(room.rejection(of: room.draft(type: "m.room.member", stateKey: User.dave,
                                              content: ["membership": "leave"], sender: User.dave)) == nil)
        // and be invited into a knock room, then join
        room.invite(User.dave, by: User.alice)
        #expect(room.rejection(of: joinDraft(room, User.dave)) == nil)
    }

    // MARK: malformed and federation

    @Test("member events need a membership and a user ID state key")
    func malformed() {
        let room = TestRoom(version: "10")
        let noMembership = room.draft(type: "m.room.member", stateKey: User.bob, content: [:], sender: User.bob)
        let badKey = room.draft(type: "m.room.member", stateKey: "bob", content: ["membership": "join"], sender: User.bob)
        let unknown = room.draft(type: "m.room.member", stateKey: User.bob, content: ["membership": "dance"],
                                 sender: User.alice)
        #expect(room.rejection(of: noMembership) == .invalidMembership)
        #expect(room.rejection(of: badKey) == .invalidMembership)
        #expect(room.rejection(of: unknown) == .invalidMembership)
    }

    @Test("m.federate false keeps other servers' users out")
    func federate() {
        let room = TestRoom(version: "10", createContent: ["m.federate": false])
        #expect(room.rejection(of: joinDraft(room, User.remote)) == .roomNotFederatable)
        #expect(room.rejection(of: joinDraft(room, User.bob)) == nil)
        let open = TestRoom(version: "10", createContent: ["m.federate": true])
        #expect(open.rejection(of: joinDraft(open, User.remote)) == nil)
    }

    private func joinDraft(_ room: TestRoom, _ user: String, content: JSONObject = [:]) -> PDU {
        var content = content
        content["membership"] = "join"
        return room.draft(type: "m.room.member", stateKey: user, content: content, sender: user)
    }
}
