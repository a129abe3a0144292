import MatrixCore

/// `POST /_matrix/client/v3/createRoom`.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#post_matrixclientv3createroom
public struct CreateRoomRequest: Sendable, Equatable {
    /// One `initial_state` entry.
    public struct StateEvent: Sendable, Equatable {
        public var type: String
        public var stateKey: String
        public var content: JSONObject
    }

    public var visibility: String
    public var roomAliasName: String?
    public var name: String?
    public var topic: String?
    public var invite: [String]
    public var roomVersion: String?
    public var creationContent: JSONObject
    public var initialState: [StateEvent]
    public var preset: String?
    public var isDirect: Bool
    public var powerLevelContentOverride: JSONObject?

    /// Presets the spec defines.
    public static let presets: Set<String> = ["private_chat", "public_chat", "trusted_private_chat"]

    /// Reads the request body; wrong types and unknown presets get `400 M_BAD_JSON`/`M_INVALID_PARAM`.
    public init(json: JSONObject) throws(MatrixError) {
        visibility = try json.string("visibility") ?? "private"
        guard visibility == "public" || visibility == "private" else {
            throw MatrixError(.invalidParam, "visibility must be 'public' or 'private'")
        }
        roomAliasName = try json.string("room_alias_name")
        name = try json.string("name")
        topic = try json.string("topic")
        invite = try json.stringArray("invite") ?? []
        roomVersion = try json.string("room_version")
        creationContent = try json.object("creation_content") ?? [:]
        preset = try json.string("preset")
        if let preset, !Self.presets.contains(preset) {
            throw MatrixError(.invalidParam, "Unknown preset '\(preset)'")
        }
        isDirect = try json.bool("is_direct") ?? false
        powerLevelContentOverride = try json.object("power_level_content_override")
        var initialState: [StateEvent] = []
        for item in try json.array("initial_state") ?? [] {
            guard let entry = item.objectValue else { throw MatrixError(.badJSON, "initial_state entries must be objects") }
            initialState.append(StateEvent(
                type: try entry.requiredString("type"), stateKey: try entry.string("state_key") ?? "",
                content: try entry.object("content") ?? [:]
            ))
        }
        self.initialState = initialState
    }

    /// The preset in effect: the requested one, else by visibility.
    public var effectivePreset: String {
        preset ?? (visibility == "public" ? "public_chat" : "private_chat")
    }
}
