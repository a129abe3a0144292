import Homeserver
import Hummingbird
import MatrixCore
import Storage

/// Registration, login, logout, tokens, passwords, deactivation and devices.
public struct AccountRoutes: Sendable {
    let accounts: AccountService
    let deactivation: AccountDeactivation
    let limits: RateLimits
    let auth: UserInteractiveAuth

    public init(accounts: AccountService, deactivation: AccountDeactivation, limits: RateLimits) {
        self.accounts = accounts
        self.deactivation = deactivation
        self.limits = limits
        self.auth = UserInteractiveAuth(accounts: accounts)
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: nil) {
            group.post("register") { request, context in
                try await limits.check(.registration, key: request.clientAddress(context: context))
                return try await register(try await request.jsonObject(), request: request)
            }
            group.get("register/available") { request, _ in
                guard let username = request.uri.queryParameters.get("username") else {
                    throw MatrixError(.missingParam, "Missing parameter 'username'")
                }
                _ = try await accounts.availableUserID(localpart: username)
                return ["available": true] as JSONObject
            }
            group.get("login") { _, _ in
                ["flows": [["type": "m.login.password"]]] as JSONObject
            }
            group.post("login") { request, context in
                try await limits.check(.login, key: request.clientAddress(context: context))
                return try await login(try await request.jsonObject())
            }
            group.post("refresh") { request, _ in
                let body = try await request.jsonObject()
                let session = try await accounts.refresh(refreshToken: try body.requiredString("refresh_token"))
                var response: JSONObject = ["access_token": .string(session.accessToken)]
                if let refresh = session.refreshToken { response["refresh_token"] = .string(refresh) }
                if let expires = session.expiresInMilliseconds { response["expires_in_ms"] = .integer(expires) }
                return response
            }
        }
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("account/whoami") { _, context in
                let requester = try context.requireRequester()
                return [
                    "user_id": .string(requester.userID.description), "device_id": .string(requester.deviceID),
                    "is_guest": false,
                ] as JSONObject
            }
            group.post("logout") { _, context in
                try await accounts.logout(try context.requireRequester())
                return JSONObject()
            }
            group.post("logout/all") { _, context in
                try await accounts.logoutAll(try context.requireRequester())
                return JSONObject()
            }
            group.post("account/password") { request, context in
                let requester = try context.requireRequester()
                let body = try await request.jsonObject()
                try await auth.requirePassword(body, of: requester)
                try await accounts.changePassword(requester, to: try body.requiredString("new_password"),
                                                  logOutOtherDevices: try body.bool("logout_devices") ?? true)
                return JSONObject()
            }
            group.post("account/deactivate") { request, context in
                let requester = try context.requireRequester()
                let body = try await request.jsonObject()
                try await auth.requirePassword(body, of: requester)
                try await deactivation.deactivate(requester.userID, erase: try body.bool("erase") ?? false)
                return ["id_server_unbind_result": "no-support"] as JSONObject
            }
            registerDevices(on: group)
        }
    }

    private func registerDevices(on group: RouterGroup<MatrixRequestContext>) {
        group.get("devices") { _, context in
            let devices = try await accounts.devices(of: try context.requireRequester().userID)
            return ["devices": .array(devices.map { .object(Self.json($0)) })] as JSONObject
        }
        group.get("devices/:deviceId") { _, context in
            let device = try await accounts.device(try context.pathParameter("deviceId"),
                                                   of: try context.requireRequester().userID)
            return Self.json(device)
        }
        group.put("devices/:deviceId") { request, context in
            let body = try await request.jsonObject()
            try await accounts.renameDevice(try context.pathParameter("deviceId"), of: try context.requireRequester().userID,
                                            to: try body.string("display_name"))
            return JSONObject()
        }
        group.delete("devices/:deviceId") { request, context in
            let requester = try context.requireRequester()
            let deviceID = try context.pathParameter("deviceId")
            _ = try await accounts.device(deviceID, of: requester.userID)
            try await auth.requirePassword(try await request.jsonObjectOrEmpty(), of: requester)
            try await accounts.deleteDevices([deviceID], of: requester.userID)
            return JSONObject()
        }
        group.post("delete_devices") { request, context in
            let requester = try context.requireRequester()
            let body = try await request.jsonObject()
            let devices = try body.stringArray("devices") ?? []
            try await auth.requirePassword(body, of: requester)
            try await accounts.deleteDevices(devices, of: requester.userID)
            return JSONObject()
        }
    }

    private func register(_ body: JSONObject, request: Request) async throws -> JSONObject {
        let kind = request.uri.queryParameters.get("kind") ?? "user"
        guard kind == "user" else {
            throw MatrixError(.guestAccessForbidden, "Guest access is disabled")
        }
        guard accounts.settings.registrationEnabled else {
            throw MatrixError(.forbidden, "Registration has been disabled")
        }
        let localpart = try body.string("username")
        // Before the auth stage a taken or invalid name is answered first, as Synapse does;
        // once auth is given, `register` checks it (and the unique index has the last word).
        if let localpart, try body.object("auth") == nil { _ = try await accounts.availableUserID(localpart: localpart) }
        try auth.requireDummy(body)
        let (userID, session) = try await accounts.register(
            localpart: localpart, password: try body.string("password"), deviceID: try body.string("device_id"),
            deviceDisplayName: try body.string("initial_device_display_name"),
            inhibitLogin: try body.bool("inhibit_login") ?? false,
            wantsRefreshToken: try body.bool("refresh_token") ?? false
        )
        var response: JSONObject = ["user_id": .string(userID.description), "home_server": .string(accounts.settings.serverName.description)]
        if let session { response.add(session) }
        return response
    }

    private func login(_ body: JSONObject) async throws -> JSONObject {
        let type = try body.requiredString("type")
        guard type == "m.login.password" else {
            throw MatrixError(.unknown, "Unknown login type \(type)")
        }
        let user: String
        if let identifier = try body.object("identifier") {
            let identifierType = try identifier.requiredString("type")
            guard identifierType == "m.id.user" else {
                throw MatrixError(.unknown, "Unsupported identifier type \(identifierType)")
            }
            user = try identifier.requiredString("user")
        } else {
            user = try body.requiredString("user")
        }
        let session = try await accounts.login(
            user: user, password: try body.requiredString("password"), deviceID: try body.string("device_id"),
            deviceDisplayName: try body.string("initial_device_display_name"),
            wantsRefreshToken: try body.bool("refresh_token") ?? false
        )
        var response: JSONObject = ["home_server": .string(accounts.settings.serverName.description)]
        response.add(session)
        return response
    }

    private static func json(_ device: DeviceRecord) -> JSONObject {
        var object: JSONObject = ["device_id": .string(device.deviceID)]
        if let name = device.displayName { object["display_name"] = .string(name) }
        if let seen = device.lastSeenTimestamp { object["last_seen_ts"] = .integer(seen) }
        if let ip = device.lastSeenIP { object["last_seen_ip"] = .string(ip) }
        return object
    }
}
