import HTTPTypes
import MatrixCore
import Testing

@Suite("Accounts: register, login, tokens, devices")
struct AccountRoutesTests {
    @Test("register without auth answers the m.login.dummy challenge; with it, a working token")
    func registerWithDummyAuth() async throws {
        try await ClientAPITestServer().run { api in
            let (status, challenge) = try await api.call(.post, "/_matrix/client/v3/register",
                                                         body: ["username": "alice", "password": "secret-password"])
            #expect(status == 401)
            #expect(challenge["flows"]?.arrayValue?.first?["stages"]?.arrayValue?.first?.stringValue == "m.login.dummy")
            #expect(challenge["session"]?.stringValue?.isEmpty == false)

            let token = try await api.register("alice")
            let (whoStatus, who) = try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token)
            #expect(whoStatus == 200)
            #expect(who["user_id"]?.stringValue == "@alice:test.local")
            #expect(who["device_id"]?.stringValue?.isEmpty == false)

            let (profileStatus, profile) = try await api.call(.get, "/_matrix/client/v3/profile/@alice:test.local")
            #expect(profileStatus == 200)
            #expect(profile["displayname"]?.stringValue == "alice")
        }
    }

    @Test("taken, invalid and available usernames")
    func usernameChecks() async throws {
        try await ClientAPITestServer().run { api in
            _ = try await api.register("bob")
            let dummy: JSONObject = ["type": "m.login.dummy"]
            let (taken, takenBody) = try await api.call(.post, "/_matrix/client/v3/register",
                                                        body: ["username": "BOB", "password": "secret-password", "auth": .object(dummy)])
            #expect(taken == 400)
            #expect(takenBody["errcode"]?.stringValue == "M_USER_IN_USE")
            let (invalid, invalidBody) = try await api.call(.post, "/_matrix/client/v3/register",
                                                            body: ["username": "no spaces", "auth": .object(dummy)])
            #expect(invalid == 400)
            #expect(invalidBody["errcode"]?.stringValue == "M_INVALID_USERNAME")
            let (free, freeBody) = try await api.call(.get, "/_matrix/client/v3/register/available?username=carol")
            #expect(free == 200)
            #expect(freeBody["available"]?.boolValue == true)
            let (used, usedBody) = try await api.call(.get, "/_matrix/client/r0/register/available?username=bob")
            #expect(used == 400)
            #expect(usedBody["errcode"]?.stringValue == "M_USER_IN_USE")
            let (short, shortBody) = try await api.call(.post, "/_matrix/client/v3/register",
                                                        body: ["username": "dave", "password": "short", "auth": .object(dummy)])
            #expect(short == 400)
            #expect(shortBody["errcode"]?.stringValue == "M_PASSWORD_TOO_SHORT")
        }
    }

    @Test("inhibit_login registers without a session; guests are refused")
    func inhibitLoginAndGuests() async throws {
        try await ClientAPITestServer().run { api in
            let (status, body) = try await api.call(.post, "/_matrix/client/v3/register", body: [
                "username": "quiet", "password": "long enough password", "auth": ["type": "m.login.dummy"],
                "inhibit_login": true,
            ])
            #expect(status == 200)
            #expect(body["user_id"]?.stringValue == "@quiet:test.local")
            #expect(body["access_token"] == nil)
            #expect(body["device_id"] == nil)
            let (guest, guestBody) = try await api.call(.post, "/_matrix/client/v3/register?kind=guest", body: [:])
            #expect(guest == 403)
            #expect(guestBody["errcode"]?.stringValue == "M_GUEST_ACCESS_FORBIDDEN")
        }
    }

    @Test("registration closed by configuration is 403 M_FORBIDDEN")
    func registrationDisabled() async throws {
        try await ClientAPITestServer(registrationEnabled: false).run { api in
            let (status, body) = try await api.call(.post, "/_matrix/client/v3/register",
                                                    body: ["username": "eve", "auth": ["type": "m.login.dummy"]])
            #expect(status == 403)
            #expect(body["errcode"]?.stringValue == "M_FORBIDDEN")
        }
    }

    @Test("password login, wrong password, logout and missing or unknown tokens")
    func loginAndLogout() async throws {
        try await ClientAPITestServer().run { api in
            _ = try await api.register("frank", password: "frank's password")
            let (flows, flowsBody) = try await api.call(.get, "/_matrix/client/v3/login")
            #expect(flows == 200)
            #expect(flowsBody["flows"]?.arrayValue?.first?["type"]?.stringValue == "m.login.password")

            let (wrong, wrongBody) = try await api.call(.post, "/_matrix/client/v3/login", body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "frank"], "password": "nope",
            ])
            #expect(wrong == 403)
            #expect(wrongBody["errcode"]?.stringValue == "M_FORBIDDEN")
            let (unknownType, unknownBody) = try await api.call(.post, "/_matrix/client/v3/login",
                                                                body: ["type": "m.login.carrier_pigeon"])
            #expect(unknownType == 400)
            #expect(unknownBody["errcode"]?.stringValue == "M_UNKNOWN")

            let (ok, session) = try await api.call(.post, "/_matrix/client/v3/login", body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "@frank:test.local"],
                "password": "frank's password", "device_id": "PHONE",
            ])
            #expect(ok == 200)
            #expect(session["device_id"]?.stringValue == "PHONE")
            let token = try #require(session["access_token"]?.stringValue)

            let (missing, missingBody) = try await api.call(.get, "/_matrix/client/v3/account/whoami")
            #expect(missing == 401)
            #expect(missingBody["errcode"]?.stringValue == "M_MISSING_TOKEN")

            #expect(try await api.call(.post, "/_matrix/client/v3/logout", token: token, body: [:]).status == 200)
            let (after, afterBody) = try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token)
            #expect(after == 401)
            #expect(afterBody["errcode"]?.stringValue == "M_UNKNOWN_TOKEN")
            #expect(afterBody["soft_logout"]?.boolValue == false)
        }
    }

    @Test("refresh tokens rotate: the new pair works, the old refresh token does not")
    func refreshTokens() async throws {
        try await ClientAPITestServer().run { api in
            let (_, registered) = try await api.call(.post, "/_matrix/client/v3/register", body: [
                "username": "gina", "password": "gina's password", "auth": ["type": "m.login.dummy"], "refresh_token": true,
            ])
            let refresh = try #require(registered["refresh_token"]?.stringValue)
            #expect(registered["expires_in_ms"]?.integerValue == 300_000)
            let (status, renewed) = try await api.call(.post, "/_matrix/client/v3/refresh", body: ["refresh_token": .string(refresh)])
            #expect(status == 200)
            let token = try #require(renewed["access_token"]?.stringValue)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token).status == 200)
            let oldToken = try #require(registered["access_token"]?.stringValue)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: oldToken).status == 401)
            let (reused, reusedBody) = try await api.call(.post, "/_matrix/client/v3/refresh", body: ["refresh_token": .string(refresh)])
            #expect(reused == 401)
            #expect(reusedBody["errcode"]?.stringValue == "M_UNKNOWN_TOKEN")
        }
    }

    @Test("devices: list, rename, and delete behind m.login.password")
    func devices() async throws {
        try await ClientAPITestServer().run { api in
            let token = try await api.register("hana", password: "hana's password")
            let (_, login) = try await api.call(.post, "/_matrix/client/v3/login", body: [
                "type": "m.login.password", "user": "hana", "password": "hana's password", "device_id": "LAPTOP",
            ])
            let laptopToken = try #require(login["access_token"]?.stringValue)
            let (_, list) = try await api.call(.get, "/_matrix/client/v3/devices", token: token)
            #expect(list["devices"]?.arrayValue?.count == 2)
            // The device making the request has been seen; the laptop has not been used yet.
            let devices = list["devices"]?.arrayValue ?? []
            #expect(devices.first { $0["device_id"]?.stringValue != "LAPTOP" }?["last_seen_ts"]?.integerValue != nil)
            #expect(devices.first { $0["device_id"]?.stringValue == "LAPTOP" }?["last_seen_ts"] == nil)

            #expect(try await api.call(.put, "/_matrix/client/v3/devices/LAPTOP", token: token,
                                       body: ["display_name": "Work laptop"]).status == 200)
            let (_, laptop) = try await api.call(.get, "/_matrix/client/v3/devices/LAPTOP", token: token)
            #expect(laptop["display_name"]?.stringValue == "Work laptop")
            #expect(try await api.call(.get, "/_matrix/client/v3/devices/NOPE", token: token).status == 404)

            let (challenge, challengeBody) = try await api.call(.delete, "/_matrix/client/v3/devices/LAPTOP", token: token)
            #expect(challenge == 401)
            #expect(challengeBody["flows"]?.arrayValue?.first?["stages"]?.arrayValue?.first?.stringValue == "m.login.password")
            let (badPassword, badBody) = try await api.call(.delete, "/_matrix/client/v3/devices/LAPTOP", token: token, body: [
                "auth": ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "hana"], "password": "wrong"],
            ])
            #expect(badPassword == 401)
            #expect(badBody["errcode"]?.stringValue == "M_FORBIDDEN")
            #expect(try await api.call(.delete, "/_matrix/client/v3/devices/LAPTOP", token: token, body: [
                "auth": ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "hana"],
                         "password": "hana's password"],
            ]).status == 200)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: laptopToken).status == 401)
        }
    }

    @Test("password change logs out other devices; deactivation ends login")
    func passwordAndDeactivation() async throws {
        try await ClientAPITestServer().run { api in
            let token = try await api.register("ivan", password: "old password")
            let roomID = try await api.createRoom(token: token, ["preset": "public_chat"])
            let bob = try await api.register("bob")
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob, body: [:]).status == 200)
            let (_, other) = try await api.call(.post, "/_matrix/client/v3/login",
                                                body: ["type": "m.login.password", "user": "ivan", "password": "old password"])
            let otherToken = try #require(other["access_token"]?.stringValue)
            let auth: JSONObject = ["type": "m.login.password", "user": "ivan", "password": "old password"]
            #expect(try await api.call(.post, "/_matrix/client/v3/account/password", token: token,
                                       body: ["new_password": "new password", "auth": .object(auth)]).status == 200)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: otherToken).status == 401)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token).status == 200)

            let newAuth: JSONObject = ["type": "m.login.password", "user": "ivan", "password": "new password"]
            #expect(try await api.call(.post, "/_matrix/client/v3/account/deactivate", token: token,
                                       body: ["auth": .object(newAuth)]).status == 200)
            let (login, loginBody) = try await api.call(.post, "/_matrix/client/v3/login",
                                                        body: ["type": "m.login.password", "user": "ivan", "password": "new password"])
            #expect(login == 403)
            #expect(loginBody["errcode"]?.stringValue == "M_FORBIDDEN")
            // The deactivated account left its rooms.
            let (_, members) = try await api.call(
                .get, "/_matrix/client/v3/rooms/\(escaped(roomID))/members?membership=join", token: bob)
            #expect(members["chunk"]?.arrayValue?.compactMap { $0["state_key"]?.stringValue } == ["@bob:test.local"])
        }
    }
}
