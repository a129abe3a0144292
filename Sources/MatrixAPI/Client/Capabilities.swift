import MatrixCore

/// `GET /_matrix/client/v3/capabilities`: what this server lets clients do.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#get_matrixclientv3capabilities
public enum Capabilities {
    /// The response: passwords, display names and avatars can change; third-party IDs cannot
    /// (no identity server support) and login tokens are not issued; rooms default to
    /// `defaultRoomVersion` and every version of `stableRoomVersions` is `stable`.
    public static func response(defaultRoomVersion: String, stableRoomVersions: [String]) -> JSONObject {
        var available = JSONObject()
        for version in stableRoomVersions { available[version] = "stable" }
        return ["capabilities": [
            "m.change_password": ["enabled": true],
            "m.room_versions": ["default": .string(defaultRoomVersion), "available": .object(available)],
            "m.set_displayname": ["enabled": true],
            "m.set_avatar_url": ["enabled": true],
            "m.3pid_changes": ["enabled": false],
            "m.get_login_token": ["enabled": false],
        ]]
    }
}
