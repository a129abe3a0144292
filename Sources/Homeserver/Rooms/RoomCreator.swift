import MatrixAPI
import MatrixCore
import MatrixEvents
import Storage

/// `createRoom`: the create event, the creator's join, power levels, the preset's rules,
/// `initial_state`, name, topic, alias and invites, in the order Synapse sends them.
public struct RoomCreator: Sendable {
    let persister: EventPersister
    let rooms: RoomStore
    let profiles: ProfileService
    let serverName: ServerName
    /// The version of rooms created without `room_version`.
    let defaultRoomVersion: RoomVersionID

    public init(persister: EventPersister, rooms: RoomStore, profiles: ProfileService, serverName: ServerName,
                defaultRoomVersion: RoomVersionID) {
        self.persister = persister
        self.rooms = rooms
        self.profiles = profiles
        self.serverName = serverName
        self.defaultRoomVersion = defaultRoomVersion
    }

    /// Creates the room and returns its ID (and alias, when one was asked for).
    public func createRoom(_ request: CreateRoomRequest, by creator: UserID) async throws -> (roomID: RoomID, alias: RoomAlias?) {
        let versionID = request.roomVersion.map { RoomVersionID(rawValue: $0) } ?? defaultRoomVersion
        guard let rules = RoomVersionRules.rules(for: versionID), RoomVersionID.stable.contains(versionID) else {
            throw MatrixError(.unsupportedRoomVersion, "Room version \(versionID.rawValue) is not supported")
        }
        let alias = try await reserveAliasName(request.roomAliasName)
        let invitees = try request.invite.map { text throws -> UserID in
            guard let user = try? UserID(parsing: text) else { throw MatrixError(.invalidParam, "Invalid user ID \(text)") }
            return user
        }
        var creationContent = request.creationContent
        creationContent.removeValue(forKey: "room_version")
        creationContent.removeValue(forKey: "creator")
        let (roomID, _) = try await persister.createRoom(
            creator: creator, rules: rules, content: creationContent, isPublic: request.visibility == "public"
        )

        func send(_ type: String, _ content: JSONObject, stateKey: String = "") async throws {
            _ = try await persister.send(EventDraft(type: type, stateKey: stateKey, sender: creator, content: content),
                                         in: roomID)
        }
        try await send(EventType.member, try await profiles.memberContent(for: creator, membership: Membership.join),
                       stateKey: creator.description)
        try await send(EventType.powerLevels, powerLevels(request, creator: creator, invitees: invitees, rules: rules))

        let initialState = Dictionary(request.initialState.map { (StateKey(type: $0.type, stateKey: $0.stateKey), $0.content) },
                                      uniquingKeysWith: { _, last in last })
        if let alias {
            guard try await rooms.createAlias(alias.description, roomID: roomID.description, creator: creator.description) else {
                throw MatrixError(.roomInUse, "Room alias already taken")
            }
            try await send(EventType.canonicalAlias, ["alias": .string(alias.description)])
        }
        let preset = request.effectivePreset
        let joinRule: JSONObject = ["join_rule": .string(preset == "public_chat" ? JoinRule.public : JoinRule.invite)]
        let historyVisibility: JSONObject = ["history_visibility": .string(HistoryVisibility.shared)]
        var presetState: [(String, JSONObject)] = [
            (EventType.joinRules, joinRule), (EventType.historyVisibility, historyVisibility),
        ]
        if preset != "public_chat" { presetState.append((EventType.guestAccess, ["guest_access": "can_join"])) }
        for (type, content) in presetState where initialState[StateKey(type: type, stateKey: "")] == nil {
            try await send(type, content)
        }
        for entry in request.initialState where entry.type != EventType.powerLevels {
            try await send(entry.type, entry.content, stateKey: entry.stateKey)
        }
        if let name = request.name { try await send(EventType.name, ["name": .string(name)]) }
        if let topic = request.topic { try await send(EventType.topic, ["topic": .string(topic)]) }
        for invitee in invitees {
            var content = try await profiles.memberContent(for: invitee, membership: Membership.invite)
            if request.isDirect { content["is_direct"] = true }
            try await send(EventType.member, content, stateKey: invitee.description)
        }
        return (roomID, alias)
    }

    /// Checks that `#name:server` is valid and free before anything is created.
    private func reserveAliasName(_ name: String?) async throws -> RoomAlias? {
        guard let name else { return nil }
        guard !name.contains(":"), !name.contains("#"), let alias = try? RoomAlias(parsing: "#\(name):\(serverName)") else {
            throw MatrixError(.invalidParam, "Invalid room_alias_name")
        }
        if try await rooms.roomID(forAlias: alias.description) != nil {
            throw MatrixError(.roomInUse, "Room alias already taken")
        }
        return alias
    }

    /// Synapse's default power levels with the creator (before v12) and, for
    /// `trusted_private_chat`, the invitees at 100; then `power_level_content_override`.
    private func powerLevels(
        _ request: CreateRoomRequest, creator: UserID, invitees: [UserID], rules: RoomVersionRules
    ) -> JSONObject {
        var users: JSONObject = [:]
        if !rules.privilegedRoomCreators { users[creator.description] = 100 }
        if request.effectivePreset == "trusted_private_chat" {
            for invitee in invitees { users[invitee.description] = 100 }
        }
        var content: JSONObject = [
            "users": .object(users),
            "users_default": 0,
            "events": [
                EventType.name: 50, EventType.powerLevels: 100, EventType.historyVisibility: 100,
                EventType.canonicalAlias: 50, EventType.avatar: 50, EventType.tombstone: 100,
                EventType.serverACL: 100, EventType.encryption: 100,
            ],
            "events_default": 0, "state_default": 50, "ban": 50, "kick": 50, "redact": 50, "invite": 50,
            "historical": 100,
        ]
        if let initial = request.initialState.last(where: { $0.type == EventType.powerLevels && $0.stateKey.isEmpty }) {
            for (key, value) in initial.content { content[key] = value }
        }
        for (key, value) in request.powerLevelContentOverride ?? [:] { content[key] = value }
        return content
    }
}
