import Homeserver
import MatrixCore

extension JSONObject {
    /// Adds a login's `user_id`, `device_id` and `access_token`, and its `refresh_token` and
    /// `expires_in_ms` when it has them: the fields of `/login` and `/register` responses.
    mutating func add(_ session: LoginSession) {
        self["user_id"] = .string(session.userID.description)
        self["device_id"] = .string(session.deviceID)
        self["access_token"] = .string(session.accessToken)
        if let refresh = session.refreshToken { self["refresh_token"] = .string(refresh) }
        if let expires = session.expiresInMilliseconds { self["expires_in_ms"] = .integer(expires) }
    }
}
