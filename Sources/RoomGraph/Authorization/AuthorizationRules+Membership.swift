import MatrixCore
import MatrixCrypto
import MatrixEvents

extension AuthorizationRules {
    /// The `m.room.member` rules: the creator's first join, third-party invites, then join,
    /// invite, leave (and kick, unban), ban and knock (v7+), with the `restricted` (v8+) and
    /// `knock_restricted` (v10+) join rules.
    static func checkMembership(_ event: PDU, state: AuthState) throws(AuthorizationError) {
        let rules = state.rules
        guard let membership = event.membership else {
            throw AuthorizationError(.invalidMembership, "Member event \(event.eventID) has no membership")
        }
        guard let target = event.stateKey, UserID(target) != nil else {
            throw AuthorizationError(.invalidMembership, "Member event \(event.eventID) has no valid user ID as state_key")
        }
        let sender = event.sender.description

        // The creator's own join straight after the create event.
        if membership == Membership.join, event.prevEventIDs.count == 1,
           event.prevEventIDs[0] == state.create.eventID, state.creator == target {
            return
        }

        if domain(of: state.create.sender.description) != domain(of: target), !isFederatable(state) {
            throw AuthorizationError(.roomNotFederatable, "This room has been marked as unfederatable.")
        }

        let callerMembership = state.membership(of: sender)
        let callerJoined = callerMembership == Membership.join
        let callerInvited = callerMembership == Membership.invite
        let callerKnocked = rules.knockJoinRule && callerMembership == Membership.knock
        let targetMembership = state.membership(of: target)
        let targetJoined = targetMembership == Membership.join
        let targetBanned = targetMembership == Membership.ban
        let joinRule = state.state[StateKey(type: EventType.joinRules, stateKey: "")].map {
            $0.content["join_rule"]?.stringValue ?? ($0.content["join_rule"] == nil ? JoinRule.invite : "")
        } ?? JoinRule.invite

        let userLevel = try state.userLevel(sender)
        let targetLevel = try state.userLevel(target)
        let inviteLevel = try state.namedLevel("invite", default: 0)
        let banLevel = try state.namedLevel("ban", default: 50)

        if membership == Membership.invite, event.content.contains(key: "third_party_invite") {
            guard isValidThirdPartyInvite(event, state: state) else {
                throw AuthorizationError(.invalidThirdPartyInvite, "You are not invited to this room.")
            }
            if targetBanned { throw AuthorizationError(.banned, "\(target) is banned from the room") }
            return
        }

        if membership != Membership.join, membership != Membership.knock {
            if callerInvited || callerKnocked, membership == Membership.leave, target == sender { return }
            guard callerJoined else {
                throw AuthorizationError(.senderNotJoined, "\(sender) not in room \(event.roomID ?? "?").")
            }
        }

        switch membership {
        case Membership.invite:
            if targetBanned { throw AuthorizationError(.banned, "\(target) is banned from the room") }
            if targetJoined { throw AuthorizationError(.alreadyJoined, "\(target) is already in the room.") }
            guard userLevel >= inviteLevel else {
                throw AuthorizationError(.insufficientPowerToInvite, "You don't have permission to invite users")
            }

        case Membership.join:
            guard sender == target else {
                throw AuthorizationError(.cannotJoinForOthers, "Cannot force another user to join.")
            }
            if targetBanned { throw AuthorizationError(.banned, "You are banned from this room") }
            let restricted = (rules.restrictedJoinRule && joinRule == JoinRule.restricted)
                || (rules.knockRestrictedJoinRule && joinRule == JoinRule.knockRestricted)
            if joinRule == JoinRule.public {
                return
            } else if restricted {
                if callerJoined || callerInvited { return }
                guard let authoriserValue = event.content[ContentField.authorisingUser], !authoriserValue.isNull else {
                    throw AuthorizationError(.missingAuthorisingUser, "Join event is missing authorising user.")
                }
                let authoriser = authoriserValue.stringValue ?? authoriserValue.description
                try requireJoined(authoriser, event: event, state: state, code: .authorisingUserNotJoined)
                guard try state.userLevel(authoriser) >= inviteLevel else {
                    throw AuthorizationError(.authorisingUserCannotInvite, "Join event authorised by invalid server.")
                }
            } else if joinRule == JoinRule.invite || (rules.knockJoinRule && joinRule == JoinRule.knock) {
                guard callerJoined || callerInvited else {
                    throw AuthorizationError(.notInvited, "You are not invited to this room.")
                }
            } else {
                throw AuthorizationError(.joinNotAllowed, "You are not allowed to join this room (join rule '\(joinRule)')")
            }

        case Membership.leave:
            if targetBanned, userLevel < banLevel {
                throw AuthorizationError(.insufficientPowerToUnban, "You cannot unban user \(target).")
            }
            if target != sender {
                let kickLevel = try state.namedLevel("kick", default: 50)
                guard userLevel >= kickLevel, userLevel > targetLevel else {
                    throw AuthorizationError(.insufficientPowerToKick, "You cannot kick user \(target).")
                }
            }

        case Membership.ban:
            guard userLevel >= banLevel else {
                throw AuthorizationError(.insufficientPowerToBan, "You don't have permission to ban")
            }
            guard userLevel > targetLevel else {
                throw AuthorizationError(.insufficientPowerToBan, "You don't have permission to ban this user")
            }

        case Membership.knock where rules.knockJoinRule:
            let knockable = joinRule == JoinRule.knock || (rules.knockRestrictedJoinRule && joinRule == JoinRule.knockRestricted)
            guard knockable else { throw AuthorizationError(.cannotKnock, "You don't have permission to knock") }
            guard target == sender else { throw AuthorizationError(.cannotKnock, "You cannot knock for other users") }
            if targetJoined { throw AuthorizationError(.alreadyJoined, "You cannot knock on a room you are already in") }
            if callerInvited { throw AuthorizationError(.cannotKnock, "You are already invited to this room") }
            if targetBanned { throw AuthorizationError(.banned, "You are banned from this room") }

        default:
            throw AuthorizationError(.invalidMembership, "Unknown membership \(membership)")
        }
    }

    /// An invite with `third_party_invite`: `signed` names a token whose `m.room.third_party_invite`
    /// was sent by the same sender, its `mxid` is the invitee, and it is signed by one of the
    /// invite's public keys.
    private static func isValidThirdPartyInvite(_ event: PDU, state: AuthState) -> Bool {
        guard let signed = event.content["third_party_invite"]?["signed"]?.objectValue,
              let mxid = signed["mxid"], let token = signed["token"]?.stringValue,
              let signatures = signed["signatures"]?.objectValue,
              let invite = state.state[StateKey(type: EventType.thirdPartyInvite, stateKey: token)],
              invite.sender == event.sender, mxid.stringValue == event.stateKey
        else { return false }

        var publicKeys: [JSONValue] = []
        if let key = invite.content["public_key"] { publicKeys.append(key) }
        publicKeys += invite.content["public_keys"]?.arrayValue?.compactMap { $0["public_key"] } ?? []
        for case .string(let encodedKey) in publicKeys {
            guard let keyBytes = Base64.decode(encodedKey) else { continue }
            for (server, block) in signatures {
                for keyName in block.objectValue?.keys ?? [] where keyName.hasPrefix("ed25519:") {
                    if (try? JSONSigning.verify(signed, serverName: server, keyID: keyName, publicKey: keyBytes)) != nil {
                        return true
                    }
                }
            }
        }
        return false
    }
}
