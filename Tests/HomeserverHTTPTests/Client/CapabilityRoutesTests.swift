import Foundation
import HTTPTypes
import MatrixCore
import MatrixCrypto
import Testing

@Suite("Capabilities and VoIP")
struct CapabilityRoutesTests {
    @Test("capabilities name the configured default room version and versions 1 to 12 as stable",
          .timeLimit(.minutes(2)))
    func capabilities() async throws {
        try await ClientAPITestServer(extraConfiguration: "rooms:\n  default_version: \"11\"").run { api in
            let alice = try await api.register("alice")
            let (status, body) = try await api.call(.get, "/_matrix/client/v3/capabilities", token: alice)
            #expect(status == 200)
            let capabilities = try #require(body["capabilities"])
            #expect(capabilities["m.room_versions"]?["default"]?.stringValue == "11")
            let available = capabilities["m.room_versions"]?["available"]?.objectValue
            #expect(Set(available?.keys ?? []) == Set((1...12).map(String.init)))
            #expect(available?["12"]?.stringValue == "stable")
            #expect(capabilities["m.change_password"]?["enabled"]?.boolValue == true)
            #expect(capabilities["m.set_displayname"]?["enabled"]?.boolValue == true)
            #expect(capabilities["m.set_avatar_url"]?["enabled"]?.boolValue == true)
            #expect(capabilities["m.3pid_changes"]?["enabled"]?.boolValue == false)
            #expect(capabilities["m.get_login_token"]?["enabled"]?.boolValue == false)
            #expect(try await api.call(.get, "/_matrix/client/v3/capabilities").status == 401)
        }
    }

    @Test("without a TURN server turnServer is {}", .timeLimit(.minutes(2)))
    func noTURNServer() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let (status, body) = try await api.call(.get, "/_matrix/client/v3/voip/turnServer", token: alice)
            #expect(status == 200)
            #expect(body == [:])
        }
    }

    @Test("a configured TURN server is announced with its credentials and lifetime", .timeLimit(.minutes(2)))
    func configuredTURNServer() async throws {
        let turn = """
            turn:
              uris: ["turn:turn.test.local:3478?transport=udp", "turns:turn.test.local:5349"]
              username: trellis
              password: secret
              user_lifetime_seconds: 3600
            """
        try await ClientAPITestServer(extraConfiguration: turn).run { api in
            let alice = try await api.register("alice")
            let (status, body) = try await api.call(.get, "/_matrix/client/r0/voip/turnServer", token: alice)
            #expect(status == 200)
            #expect(body == [
                "uris": ["turn:turn.test.local:3478?transport=udp", "turns:turn.test.local:5349"],
                "username": "trellis", "password": "secret", "ttl": 3600,
            ])
        }
    }

    @Test("with a shared secret each user gets coturn REST credentials that expire", .timeLimit(.minutes(2)))
    func sharedSecretTURNCredentials() async throws {
        let turn = """
            turn:
              uris: ["turn:turn.test.local:3478"]
              shared_secret: "coturn secret"
              user_lifetime_seconds: 600
            """
        try await ClientAPITestServer(extraConfiguration: turn).run { api in
            let alice = try await api.register("alice")
            let before = Int64(Date().timeIntervalSince1970)
            let (status, body) = try await api.call(.get, "/_matrix/client/v3/voip/turnServer", token: alice)
            #expect(status == 200)
            let username = try #require(body["username"]?.stringValue)
            let parts = username.split(separator: ":", maxSplits: 1)
            #expect(parts.count == 2 && parts[1] == "@alice:test.local")
            let expiry = try #require(Int64(parts[0]))
            #expect(expiry >= before + 600 && expiry <= Int64(Date().timeIntervalSince1970) + 600)
            // coturn's check: Base64 (padded) of HMAC-SHA1(secret, username).
            let expected = Data(HMAC.sha1(key: Array("coturn secret".utf8), message: Array(username.utf8))).base64EncodedString()
            #expect(body["password"]?.stringValue == expected)
            #expect(body["ttl"]?.integerValue == 600)
        }
    }
}
