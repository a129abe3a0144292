import Homeserver
import Hummingbird
import MatrixCore

/// `GET` and `POST /_synapse/admin/v1/register`: registration with the shared secret, as
/// Synapse's `register_new_matrix_user` does it. No access token: the MAC is the credential.
public struct SharedSecretRegistrationRoutes: Sendable {
    let registration: SharedSecretRegistration
    let serverName: ServerName

    public init(registration: SharedSecretRegistration, serverName: ServerName) {
        self.registration = registration
        self.serverName = serverName
    }

    public func register(on router: Router<MatrixRequestContext>) {
        let group = router.publicAdminGroup()
        group.get("v1/register") { _, _ in
            ["nonce": .string(try await registration.issueNonce())] as JSONObject
        }
        group.post("v1/register") { request, _ in
            let body = try await request.jsonObject()
            let (userID, session) = try await registration.register(SharedSecretRegistrationRequest(
                nonce: try body.requiredString("nonce"), username: try body.requiredString("username"),
                password: try body.requiredString("password"), mac: try body.requiredString("mac"),
                admin: try body.bool("admin") ?? false, userType: try body.string("user_type"),
                displayName: try body.string("displayname"), deviceID: try body.string("device_id"),
                deviceDisplayName: try body.string("initial_device_display_name"),
                inhibitLogin: try body.bool("inhibit_login") ?? false,
                wantsRefreshToken: try body.bool("refresh_token") ?? false
            ))
            var response: JSONObject = [
                "user_id": .string(userID.description), "home_server": .string(serverName.description),
            ]
            if let session { response.add(session) }
            return response
        }
    }
}
