import Homeserver
import HTTPTypes
import MatrixCore
import Testing

/// The shared secret of the test servers in this file.
private let sharedSecret = "test shared secret"

@Suite("Admin API: users, shared-secret registration, server version")
struct AdminUserRoutesTests {
    static func server() -> ClientAPITestServer {
        ClientAPITestServer(registrationSharedSecret: sharedSecret)
    }

    @Test("only server admins get in: 401 without a token, 403 M_FORBIDDEN for other users")
    func adminOnly() async throws {
        try await Self.server().run { api in
            let userToken = try await api.register("mallory")
            let adminToken = try await api.registerAdmin()
            let bob = escaped("@bob:test.local")
            let endpoints: [(HTTPRequest.Method, String, JSONObject?)] = [
                (.get, "/_synapse/admin/v2/users", nil),
                (.get, "/_synapse/admin/v2/users/\(bob)", nil),
                (.put, "/_synapse/admin/v2/users/\(bob)", ["password": "bob's password"]),
                (.post, "/_synapse/admin/v1/deactivate/\(bob)", [:]),
            ]
            for (method, path, body) in endpoints {
                let (anonymous, anonymousBody) = try await api.call(method, path, body: body)
                #expect(anonymous == 401, "\(method) \(path)")
                #expect(anonymousBody["errcode"]?.stringValue == "M_MISSING_TOKEN")
                let (user, userBody) = try await api.call(method, path, token: userToken, body: body)
                #expect(user == 403, "\(method) \(path)")
                #expect(userBody["errcode"]?.stringValue == "M_FORBIDDEN")
            }
            #expect(try await api.call(.get, "/_synapse/admin/v2/users", token: adminToken).status == 200)
            // Nothing was created by the refused PUT.
            #expect(try await api.call(.get, "/_synapse/admin/v2/users/\(bob)", token: adminToken).status == 404)
        }
    }

    @Test("server_version answers without a token")
    func serverVersion() async throws {
        try await Self.server().run { api in
            let (status, body) = try await api.call(.get, "/_synapse/admin/v1/server_version")
            #expect(status == 200)
            #expect(body["server_version"]?.stringValue == TrellisVersion.current)
        }
    }

    @Test("shared-secret registration: a correct MAC registers and logs in, with admin and user type")
    func sharedSecretRegistration() async throws {
        try await Self.server().run { api in
            let (status, body) = try await api.registerWithSharedSecret("Carol", admin: true, userType: "bot",
                                                                       extra: ["displayname": "Carol C."])
            #expect(status == 200)
            #expect(body["user_id"]?.stringValue == "@carol:test.local")
            #expect(body["home_server"]?.stringValue == "test.local")
            #expect(body["device_id"]?.stringValue?.isEmpty == false)
            let token = try #require(body["access_token"]?.stringValue)
            let (_, who) = try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token)
            #expect(who["user_id"]?.stringValue == "@carol:test.local")
            let (_, carol) = try await api.call(.get, "/_synapse/admin/v2/users/\(escaped("@carol:test.local"))", token: token)
            #expect(carol["admin"]?.boolValue == true)
            #expect(carol["user_type"]?.stringValue == "bot")
            #expect(carol["displayname"]?.stringValue == "Carol C.")

            let (plain, plainBody) = try await api.registerWithSharedSecret("dave", admin: false,
                                                                           extra: ["inhibit_login": true])
            #expect(plain == 200)
            #expect(plainBody["access_token"] == nil)
            let (_, dave) = try await api.call(.get, "/_synapse/admin/v2/users/\(escaped("@dave:test.local"))", token: token)
            #expect(dave["admin"]?.boolValue == false)
            #expect(dave["displayname"]?.stringValue == "dave")
        }
    }

    @Test("the MAC is the one register_new_matrix_user computes (values from Python's hmac module)")
    func macMatchesSynapse() {
        #expect(SharedSecretRegistration.mac(secret: sharedSecret, nonce: "abc", username: "alice", password: "pw",
                                             admin: false, userType: nil) == "375a5cbb6a47d1e1271fd6976a26a5a4af5ee3f9")
        #expect(SharedSecretRegistration.mac(secret: sharedSecret, nonce: "abc", username: "Alice", password: "pässwörd",
                                             admin: true, userType: "bot") == "79e213bf625ef64e87e971b8673857ded4916e13")
    }

    @Test("shared-secret registration: wrong MAC 403, a nonce works once, unknown nonces and taken names 400")
    func sharedSecretFailures() async throws {
        try await Self.server().run { api in
            let nonce = try await api.nonce()
            let wrong = SharedSecretRegistration.mac(secret: "not the secret", nonce: nonce, username: "erin",
                                                     password: "erin's password", admin: false, userType: nil)
            let body: JSONObject = ["nonce": .string(nonce), "username": "erin", "password": "erin's password",
                                    "mac": .string(wrong)]
            let (forbidden, forbiddenBody) = try await api.call(.post, "/_synapse/admin/v1/register", body: body)
            #expect(forbidden == 403)
            #expect(forbiddenBody["errcode"]?.stringValue == "M_FORBIDDEN")

            // The failed attempt used the nonce up: even the right MAC is refused with it now.
            var retry = body
            retry["mac"] = .string(SharedSecretRegistration.mac(secret: sharedSecret, nonce: nonce, username: "erin",
                                                                password: "erin's password", admin: false, userType: nil))
            let (reused, reusedBody) = try await api.call(.post, "/_synapse/admin/v1/register", body: retry)
            #expect(reused == 400)
            #expect(reusedBody["error"]?.stringValue == "unrecognised nonce")

            // The MAC covers the admin flag: claiming admin with a MAC made for notadmin fails.
            let (escalated, _) = try await api.registerWithSharedSecret("erin", admin: false, extra: ["admin": true])
            #expect(escalated == 403)

            #expect(try await api.registerWithSharedSecret("erin", admin: false).status == 200)
            let (taken, takenBody) = try await api.registerWithSharedSecret("ERIN", admin: false)
            #expect(taken == 400)
            #expect(takenBody["errcode"]?.stringValue == "M_USER_IN_USE")

            let (badType, badTypeBody) = try await api.registerWithSharedSecret("frank", admin: false, userType: "robot")
            #expect(badType == 400)
            #expect(badTypeBody["errcode"]?.stringValue == "M_INVALID_PARAM")

            let (missing, missingBody) = try await api.call(.post, "/_synapse/admin/v1/register",
                                                            body: ["nonce": .string(try await api.nonce()), "username": "x"])
            #expect(missing == 400)
            #expect(missingBody["errcode"]?.stringValue == "M_MISSING_PARAM")
        }
    }

    @Test("shared-secret registration is refused (400) when no secret is configured")
    func sharedSecretDisabled() async throws {
        try await ClientAPITestServer().run { api in
            let (nonce, nonceBody) = try await api.call(.get, "/_synapse/admin/v1/register")
            #expect(nonce == 400)
            #expect(nonceBody["error"]?.stringValue == "Shared secret registration is not enabled")
            let (post, _) = try await api.call(.post, "/_synapse/admin/v1/register", body: [
                "nonce": "n", "username": "u", "password": "p", "mac": "m",
            ])
            #expect(post == 400)
        }
    }

    @Test("GET a user: Synapse's user object; unknown 404, remote and invalid IDs 400")
    func getUser() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            let (status, user) = try await api.call(.get, "/_synapse/admin/v2/users/\(escaped("@root:test.local"))",
                                                    token: admin)
            #expect(status == 200)
            #expect(user["name"]?.stringValue == "@root:test.local")
            #expect(user["displayname"]?.stringValue == "root")
            #expect(user["avatar_url"] == .null)
            #expect(user["admin"]?.boolValue == true)
            #expect(user["deactivated"]?.boolValue == false)
            #expect(user["is_guest"]?.boolValue == false)
            #expect(user["erased"]?.boolValue == false)
            #expect(user["locked"]?.boolValue == false)
            #expect(user["user_type"] == .null)
            #expect(user["appservice_id"] == .null)
            #expect(user["threepids"]?.arrayValue?.isEmpty == true)
            // Seconds, as Synapse reports it here: a plausible date between 2020 and 2100.
            let created = try #require(user["creation_ts"]?.integerValue)
            #expect(created > 1_577_836_800 && created < 4_102_444_800)

            let (unknown, unknownBody) = try await api.call(
                .get, "/_synapse/admin/v2/users/\(escaped("@nobody:test.local"))", token: admin)
            #expect(unknown == 404)
            #expect(unknownBody["errcode"]?.stringValue == "M_NOT_FOUND")
            let (remote, remoteBody) = try await api.call(
                .get, "/_synapse/admin/v2/users/\(escaped("@root:elsewhere.example"))", token: admin)
            #expect(remote == 400)
            #expect(remoteBody["errcode"]?.stringValue == "M_INVALID_PARAM")
            #expect(remoteBody["error"]?.stringValue == "Can only look up local users")
            let (invalid, _) = try await api.call(.get, "/_synapse/admin/v2/users/not-a-user-id", token: admin)
            #expect(invalid == 400)
        }
    }

    @Test("PUT creates a user (201), then modifies it (200)")
    func createThenModify() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            let path = "/_synapse/admin/v2/users/\(escaped("@gina:test.local"))"
            let (created, user) = try await api.call(.put, path, token: admin, body: [
                "password": "short", "displayname": "Gina", "avatar_url": "mxc://test.local/gina",
                "threepids": [["medium": "email", "address": "Gina@Example.org"]], "user_type": "support",
            ])
            #expect(created == 201)
            #expect(user["name"]?.stringValue == "@gina:test.local")
            #expect(user["displayname"]?.stringValue == "Gina")
            #expect(user["avatar_url"]?.stringValue == "mxc://test.local/gina")
            #expect(user["user_type"]?.stringValue == "support")
            #expect(user["admin"]?.boolValue == false)
            let threepid = try #require(user["threepids"]?.arrayValue?.first)
            #expect(threepid["medium"]?.stringValue == "email")
            #expect(threepid["address"]?.stringValue == "gina@example.org")
            #expect(threepid["added_at"]?.integerValue != nil)
            // Admins are not held to the password policy, as in Synapse.
            #expect(try await api.login("gina", password: "short").status == 200)

            let (modified, changed) = try await api.call(.put, path, token: admin, body: [
                "displayname": "", "admin": true, "user_type": .null,
                "threepids": [["medium": "msisdn", "address": "447700900000"]],
            ])
            #expect(modified == 200)
            #expect(changed["displayname"] == .null)
            #expect(changed["avatar_url"]?.stringValue == "mxc://test.local/gina")
            #expect(changed["admin"]?.boolValue == true)
            #expect(changed["user_type"] == .null)
            #expect(changed["threepids"]?.arrayValue?.map { $0["address"]?.stringValue } == ["447700900000"])
        }
    }

    @Test("PUT refuses bad input: remote users, invalid localparts and types, self-demotion, locking")
    func putValidation() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            let cases: [(String, JSONObject, String)] = [
                ("@henry:elsewhere.example", [:], "M_INVALID_PARAM"),
                ("@Henry:test.local", [:], "M_INVALID_USERNAME"),
                ("@henry:test.local", ["user_type": "robot"], "M_INVALID_PARAM"),
                ("@henry:test.local", ["admin": "yes"], "M_BAD_JSON"),
                ("@henry:test.local", ["locked": true], "M_INVALID_PARAM"),
                ("@henry:test.local", ["threepids": [["medium": "email"]]], "M_MISSING_PARAM"),
                ("@henry:test.local", ["threepids": [["medium": "fax", "address": "1"]]], "M_INVALID_PARAM"),
                ("@root:test.local", ["admin": false], "M_INVALID_PARAM"),
            ]
            for (userID, body, errcode) in cases {
                let (status, response) = try await api.call(.put, "/_synapse/admin/v2/users/\(escaped(userID))",
                                                            token: admin, body: body)
                #expect(status == 400, "\(userID) \(body)")
                #expect(response["errcode"]?.stringValue == errcode, "\(userID) \(body)")
            }
            let (_, users) = try await api.call(.get, "/_synapse/admin/v2/users", token: admin)
            #expect(users["total"]?.integerValue == 1)
            let (_, root) = try await api.call(.get, "/_synapse/admin/v2/users/\(escaped("@root:test.local"))", token: admin)
            #expect(root["admin"]?.boolValue == true)
        }
    }

    @Test("PUT password logs every device out, unless logout_devices is false")
    func passwordLogsOut() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            let token = try await api.register("ivan", password: "ivan's password")
            let path = "/_synapse/admin/v2/users/\(escaped("@ivan:test.local"))"
            #expect(try await api.call(.put, path, token: admin,
                                       body: ["password": "second password", "logout_devices": false]).status == 200)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token).status == 200)
            #expect(try await api.login("ivan", password: "ivan's password").status == 403)
            #expect(try await api.login("ivan", password: "second password").status == 200)

            #expect(try await api.call(.put, path, token: admin, body: ["password": "third password"]).status == 200)
            let (after, afterBody) = try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token)
            #expect(after == 401)
            #expect(afterBody["errcode"]?.stringValue == "M_UNKNOWN_TOKEN")
            #expect(try await api.login("ivan", password: "third password").status == 200)

            // An admin changing their own password keeps the session they use, and only that one.
            let otherSession = try #require(try await api.login("root", password: "shared-secret password").token)
            #expect(try await api.call(.put, "/_synapse/admin/v2/users/\(escaped("@root:test.local"))", token: admin,
                                       body: ["password": "root's new password"]).status == 200)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: admin).status == 200)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: otherSession).status == 401)
        }
    }

    @Test("PUT deactivated: true ends sessions; false reactivates, with no password unless one is given")
    func deactivateAndReactivate() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            let token = try await api.register("jane", password: "jane's password")
            let path = "/_synapse/admin/v2/users/\(escaped("@jane:test.local"))"
            let (status, user) = try await api.call(.put, path, token: admin, body: ["deactivated": true])
            #expect(status == 200)
            #expect(user["deactivated"]?.boolValue == true)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token).status == 401)
            #expect(try await api.login("jane", password: "jane's password").status == 403)

            // Reactivation needs no password (Synapse since 1.99), but the old one is gone.
            let (reactivated, active) = try await api.call(.put, path, token: admin, body: ["deactivated": false])
            #expect(reactivated == 200)
            #expect(active["deactivated"]?.boolValue == false)
            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token).status == 401)
            #expect(try await api.login("jane", password: "jane's password").status == 403)
            #expect(try await api.call(.put, path, token: admin, body: ["password": "new password"]).status == 200)
            #expect(try await api.login("jane", password: "new password").status == 200)
        }
    }

    @Test("list: offset paging with next_token and a stable total; name, user_id, deactivated and admins filters")
    func listUsers() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            for name in ["amy", "ben", "cat", "dan", "eve"] { _ = try await api.register(name) }
            #expect(try await api.call(.put, "/_synapse/admin/v2/users/\(escaped("@eve:test.local"))", token: admin,
                                       body: ["deactivated": true, "displayname": "Evelyn"]).status == 200)

            var names: [String] = []
            var from: String? = "0"
            var pages = 0
            while let offset = from {
                let (status, page) = try await api.call(.get, "/_synapse/admin/v2/users?from=\(offset)&limit=2", token: admin)
                #expect(status == 200)
                #expect(page["total"]?.integerValue == 5)
                names += page["users"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                from = page["next_token"]?.stringValue
                pages += 1
            }
            #expect(pages == 3)
            #expect(names == ["@amy:test.local", "@ben:test.local", "@cat:test.local", "@dan:test.local", "@root:test.local"])

            let (_, all) = try await api.call(.get, "/_synapse/admin/v2/users?deactivated=true", token: admin)
            #expect(all["total"]?.integerValue == 6)
            #expect(all["next_token"] == nil)
            let eve = try #require(all["users"]?.arrayValue?.first { $0["name"]?.stringValue == "@eve:test.local" })
            #expect(eve["deactivated"]?.boolValue == true)
            #expect(eve["displayname"]?.stringValue == "Evelyn")
            // Milliseconds in the list, as Synapse reports it there.
            #expect((eve["creation_ts"]?.integerValue ?? 0) > 1_577_836_800_000)

            let (_, byName) = try await api.call(.get, "/_synapse/admin/v2/users?deactivated=true&name=EVELYN", token: admin)
            #expect(byName["users"]?.arrayValue?.map { $0["name"]?.stringValue } == ["@eve:test.local"])
            let (_, byID) = try await api.call(.get, "/_synapse/admin/v2/users?user_id=N", token: admin)
            #expect(byID["users"]?.arrayValue?.map { $0["name"]?.stringValue } == ["@ben:test.local", "@dan:test.local"])
            // `_` and `%` in a filter match themselves, not any character.
            let (_, wildcard) = try await api.call(.get, "/_synapse/admin/v2/users?name=b_n", token: admin)
            #expect(wildcard["users"]?.arrayValue?.isEmpty == true)
            let (_, percent) = try await api.call(.get, "/_synapse/admin/v2/users?user_id=%25", token: admin)
            #expect(percent["users"]?.arrayValue?.isEmpty == true)
            let (_, admins) = try await api.call(.get, "/_synapse/admin/v2/users?admins=true", token: admin)
            #expect(admins["users"]?.arrayValue?.map { $0["name"]?.stringValue } == ["@root:test.local"])

            for query in ["from=-1", "limit=ten", "deactivated=yes", "guests=1"] {
                let (status, body) = try await api.call(.get, "/_synapse/admin/v2/users?\(query)", token: admin)
                #expect(status == 400, "\(query)")
                #expect(body["errcode"]?.stringValue == "M_INVALID_PARAM")
            }
        }
    }

    @Test("POST deactivate ends sessions, leaves rooms and, with erase, clears the profile")
    func deactivateEndpoint() async throws {
        try await Self.server().run { api in
            let admin = try await api.registerAdmin()
            let kim = try await api.register("kim")
            let leo = try await api.register("leo")
            let roomID = try await api.createRoom(token: leo, ["preset": "public_chat"])
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: kim, body: [:]).status == 200)

            let path = "/_synapse/admin/v1/deactivate/\(escaped("@kim:test.local"))"
            let (badErase, badEraseBody) = try await api.call(.post, path, token: admin, body: ["erase": "yes"])
            #expect(badErase == 400)
            #expect(badEraseBody["errcode"]?.stringValue == "M_BAD_JSON")
            let (status, body) = try await api.call(.post, path, token: admin, body: ["erase": true])
            #expect(status == 200)
            #expect(body["id_server_unbind_result"]?.stringValue == "success")

            #expect(try await api.call(.get, "/_matrix/client/v3/account/whoami", token: kim).status == 401)
            let (_, members) = try await api.call(.get, "/_matrix/client/v3/rooms/\(escaped(roomID))/joined_members",
                                                  token: leo)
            #expect(members["joined"]?.objectValue?.keys.sorted() == ["@leo:test.local"])
            let (_, user) = try await api.call(.get, "/_synapse/admin/v2/users/\(escaped("@kim:test.local"))", token: admin)
            #expect(user["deactivated"]?.boolValue == true)
            #expect(user["displayname"] == .null)

            let (unknown, unknownBody) = try await api.call(
                .post, "/_synapse/admin/v1/deactivate/\(escaped("@nobody:test.local"))", token: admin)
            #expect(unknown == 404)
            #expect(unknownBody["errcode"]?.stringValue == "M_NOT_FOUND")
            let (remote, _) = try await api.call(
                .post, "/_synapse/admin/v1/deactivate/\(escaped("@kim:elsewhere.example"))", token: admin)
            #expect(remote == 400)
        }
    }
}

extension ClientAPIClient {
    /// A nonce from `GET /_synapse/admin/v1/register`.
    func nonce() async throws -> String {
        let (status, body) = try await call(.get, "/_synapse/admin/v1/register")
        guard status == 200, let nonce = body["nonce"]?.stringValue else {
            throw UnexpectedResponse(status: status, json: body)
        }
        return nonce
    }

    /// Registers through `POST /_synapse/admin/v1/register` with a MAC made as
    /// `register_new_matrix_user` makes it; `extra` fields go into the body after the MAC is made.
    @discardableResult
    func registerWithSharedSecret(
        _ username: String, password: String = "shared-secret password", admin: Bool, userType: String? = nil,
        extra: JSONObject = [:]
    ) async throws -> (status: Int, json: JSONValue) {
        let nonce = try await nonce()
        var body: JSONObject = [
            "nonce": .string(nonce), "username": .string(username), "password": .string(password),
            "admin": .bool(admin), "user_type": userType.map(JSONValue.string) ?? .null,
            "mac": .string(SharedSecretRegistration.mac(secret: sharedSecret, nonce: nonce, username: username,
                                                        password: password, admin: admin, userType: userType)),
        ]
        for (key, value) in extra { body[key] = value }
        return try await call(.post, "/_synapse/admin/v1/register", body: body)
    }

    /// Registers the server admin `@root:test.local` (password `shared-secret password`) and returns its token.
    func registerAdmin() async throws -> String {
        let (status, json) = try await registerWithSharedSecret("root", admin: true)
        guard status == 200, let token = json["access_token"]?.stringValue else {
            throw UnexpectedResponse(status: status, json: json)
        }
        return token
    }

    /// A password login; returns the status (and the token when it worked).
    func login(_ user: String, password: String) async throws -> (status: Int, token: String?) {
        let (status, body) = try await call(.post, "/_matrix/client/v3/login",
                                            body: ["type": "m.login.password", "user": .string(user), "password": .string(password)])
        return (status, body["access_token"]?.stringValue)
    }
}
