import HTTPTypes
import HomeserverTesting
import MatrixCore
import MatrixCrypto
import Testing

/// A logged-in device with its own ed25519 identity key, as an encrypting client has.
struct KeyedDevice {
    let userID: String
    let deviceID: String
    let token: String
    let identityKey = Ed25519SigningKey.generate()

    static func register(_ localpart: String, on api: ClientAPIClient) async throws -> KeyedDevice {
        let token = try await api.register(localpart)
        let (_, whoami) = try await api.call(.get, "/_matrix/client/v3/account/whoami", token: token)
        return KeyedDevice(userID: try #require(whoami["user_id"]?.stringValue),
                           deviceID: try #require(whoami["device_id"]?.stringValue), token: token)
    }

    var publicKey: String { Base64.encodeUnpadded(identityKey.publicKey) }

    /// The device's `device_keys`, self-signed.
    func deviceKeys() throws -> JSONObject {
        try JSONSigning.sign(
            [
                "user_id": .string(userID), "device_id": .string(deviceID),
                "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                "keys": .object(["ed25519:\(deviceID)": .string(publicKey), "curve25519:\(deviceID)": "curve"]),
            ],
            serverName: userID, keyID: "ed25519:\(deviceID)", key: identityKey
        )
    }
}

/// `/keys/upload`, `/keys/query`, `/keys/claim`, `/keys/changes` and cross-signing, with what
/// `/sync` tells devices about them.
@Suite("End-to-end encryption keys: upload, query, claim, device lists and cross-signing")
struct EndToEndKeyRoutesTests {
    static let keys = "/_matrix/client/v3/keys"
    static let sync = "/_matrix/client/v3/sync"

    @Test("one-time keys are claimed once each, then the fallback key; counts and fallback types reach /sync",
          .timeLimit(.minutes(2)))
    func uploadQueryClaim() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            let deviceKeys = try alice.deviceKeys()
            let (status, uploaded) = try await api.call(.post, "\(Self.keys)/upload", token: alice.token, body: [
                "device_keys": .object(deviceKeys),
                "one_time_keys": ["signed_curve25519:AAAA": ["key": "one"], "signed_curve25519:AAAB": ["key": "two"]],
                "fallback_keys": ["signed_curve25519:FALL": ["key": "fallback", "fallback": true]],
            ])
            #expect(status == 200)
            #expect(uploaded["one_time_key_counts"]?["signed_curve25519"] == 2)

            // The same key ID with another key is refused; the same upload again is harmless.
            let (conflict, refused) = try await api.call(.post, "\(Self.keys)/upload", token: alice.token, body: [
                "one_time_keys": ["signed_curve25519:AAAA": ["key": "other"]],
            ])
            #expect(conflict == 400)
            #expect(refused["errcode"] == "M_INVALID_PARAM")

            let (_, queried) = try await api.call(.post, "\(Self.keys)/query", token: bob.token, body: [
                "device_keys": .object([alice.userID: []]),
            ])
            var shown = try #require(queried["device_keys"]?[alice.userID]?[alice.deviceID]?.objectValue)
            #expect(shown.removeValue(forKey: "unsigned") != nil)
            #expect(shown == deviceKeys)
            try JSONSigning.verify(shown, serverName: alice.userID, keyID: "ed25519:\(alice.deviceID)",
                                   publicKey: alice.identityKey.publicKey)

            let (_, before) = try await api.call(.get, Self.sync, token: alice.token)
            #expect(before["device_unused_fallback_key_types"] == ["signed_curve25519"])
            var claimed: [JSONValue] = []
            for _ in 1...3 {
                let (_, claim) = try await api.call(.post, "\(Self.keys)/claim", token: bob.token, body: [
                    "one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])]),
                ])
                claimed.append(try #require(claim["one_time_keys"]?[alice.userID]?[alice.deviceID]))
            }
            #expect(claimed == [
                ["signed_curve25519:AAAA": ["key": "one"]], ["signed_curve25519:AAAB": ["key": "two"]],
                ["signed_curve25519:FALL": ["key": "fallback", "fallback": true]],
            ])
            let (_, after) = try await api.call(.get, Self.sync, token: alice.token)
            #expect(after["device_one_time_keys_count"]?["signed_curve25519"] == 0)
            #expect(after["device_unused_fallback_key_types"] == [])
        }
    }

    @Test("malformed key requests are 400s with the spec's errcodes", .timeLimit(.minutes(2)))
    func badInput() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            var othersKeys = try alice.deviceKeys()
            othersKeys["device_id"] = "SOMEONEELSE"
            let cases: [(String, JSONObject, String)] = [
                ("upload", ["device_keys": .object(othersKeys)], "M_INVALID_PARAM"),
                ("upload", ["one_time_keys": ["no-algorithm": "key"]], "M_INVALID_PARAM"),
                ("upload", ["one_time_keys": ["signed_curve25519:A": 7]], "M_INVALID_PARAM"),
                ("query", ["device_keys": ["not a user": []]], "M_INVALID_PARAM"),
                ("query", ["device_keys": .object([alice.userID: "all"])], "M_INVALID_PARAM"),
                ("query", [:], "M_MISSING_PARAM"),
                ("query", ["device_keys": [:], "timeout": [:]], "M_BAD_JSON"),
                ("claim", [:], "M_MISSING_PARAM"),
                ("claim", ["one_time_keys": [:], "timeout": "soon"], "M_BAD_JSON"),
                ("claim", ["one_time_keys": .object([alice.userID: .object([alice.deviceID: 1])])], "M_INVALID_PARAM"),
            ]
            for (endpoint, body, errcode) in cases {
                let (status, json) = try await api.call(.post, "\(Self.keys)/\(endpoint)", token: alice.token, body: body)
                #expect(status == 400, "\(endpoint) \(body)")
                #expect(json["errcode"]?.stringValue == errcode, "\(endpoint) \(body)")
            }
            let (status, json) = try await api.call(.get, "\(Self.keys)/changes?from=s1", token: alice.token)
            #expect(status == 400)
            #expect(json["errcode"] == "M_MISSING_PARAM")
        }
    }

    @Test("a roommate's new keys are 'changed' in /sync and /keys/changes; leaving the last shared room is 'left'",
          .timeLimit(.minutes(2)))
    func deviceLists() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            let roomID = try await api.createRoom(token: alice.token, ["invite": .array([.string(bob.userID)])])
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob.token).status == 200)
            let (_, initial) = try await api.call(.get, Self.sync, token: alice.token)
            let start = try #require(initial["next_batch"]?.stringValue)

            #expect(try await api.call(.post, "\(Self.keys)/upload", token: bob.token,
                                       body: ["device_keys": .object(try bob.deviceKeys())]).status == 200)
            let (_, changed) = try await api.call(.get, "\(Self.sync)?since=\(start)", token: alice.token)
            #expect(changed["device_lists"]?["changed"] == .array([.string(bob.userID)]))
            let afterUpload = try #require(changed["next_batch"]?.stringValue)
            let (_, changes) = try await api.call(
                .get, "\(Self.keys)/changes?from=\(start)&to=\(afterUpload)", token: alice.token
            )
            #expect(changes["changed"] == .array([.string(bob.userID)]))
            #expect(changes["left"] == [])

            // Deleting a device (here by logging out) wakes a long-poll with the change.
            async let woken = api.call(.get, "\(Self.sync)?since=\(afterUpload)&timeout=300000", token: alice.token)
            try await eventually(within: .seconds(10)) {
                guard api.syncNotifier.waiting == 1 else { throw LongPollNotWaiting() }
            }
            let (_, login) = try await api.call(.post, "/_matrix/client/v3/login", body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "bob"],
                "password": "correct horse battery",
            ])
            let second = try #require(login["access_token"]?.stringValue)
            #expect(try await api.call(.post, "/_matrix/client/v3/logout", token: second).status == 200)
            let afterLogout = try await woken.json
            #expect(afterLogout["device_lists"]?["changed"] == .array([.string(bob.userID)]))

            // A profile change keeps the membership: no device list change.
            #expect(try await api.call(.put, "/_matrix/client/v3/profile/\(escaped(bob.userID))/displayname",
                                       token: bob.token, body: ["displayname": "Robert"]).status == 200)
            let since = try #require(afterLogout["next_batch"]?.stringValue)
            let (_, renamed) = try await api.call(.get, "\(Self.sync)?since=\(since)", token: alice.token)
            let timeline = renamed["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
            #expect(timeline.map { $0["content"]?["displayname"] } == ["Robert"])
            #expect(renamed["device_lists"]?["changed"] == [])

            #expect(try await api.call(.post, "/_matrix/client/v3/rooms/\(escaped(roomID))/leave", token: bob.token)
                .status == 200)
            let (_, left) = try await api.call(.get, "\(Self.sync)?since=\(afterUpload)", token: alice.token)
            #expect(left["device_lists"]?["left"] == .array([.string(bob.userID)]))
            #expect(left["device_lists"]?["changed"] == [])
        }
    }

    @Test("cross-signing: the first keys need no password, replacing them does; signatures are checked and shown",
          .timeLimit(.minutes(2)))
    func crossSigning() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            #expect(try await api.call(.post, "\(Self.keys)/upload", token: alice.token,
                                       body: ["device_keys": .object(try alice.deviceKeys())]).status == 200)
            let master = Ed25519SigningKey.generate(), selfSigning = Ed25519SigningKey.generate()
            let userSigning = Ed25519SigningKey.generate()
            let masterKey = Self.crossSigningKey(master, usage: "master", of: alice.userID)
            let upload: JSONObject = [
                "master_key": .object(masterKey),
                "self_signing_key": .object(try Self.crossSigningKey(selfSigning, usage: "self_signing", of: alice.userID,
                                                                     signedBy: master)),
                "user_signing_key": .object(try Self.crossSigningKey(userSigning, usage: "user_signing", of: alice.userID,
                                                                     signedBy: master)),
            ]
            #expect(try await api.call(.post, "\(Self.keys)/device_signing/upload", token: alice.token, body: upload)
                .status == 200)

            // A self-signing key the master key did not sign is refused.
            let (unsigned, unsignedError) = try await api.call(
                .post, "\(Self.keys)/device_signing/upload", token: alice.token,
                body: ["self_signing_key": .object(Self.crossSigningKey(.generate(), usage: "self_signing",
                                                                        of: alice.userID)),
                       "auth": Self.password]
            )
            #expect(unsigned == 400)
            #expect(unsignedError["errcode"] == "M_INVALID_SIGNATURE")

            // Replacing the master key needs the password.
            let newMaster: JSONObject = ["master_key": .object(Self.crossSigningKey(.generate(), usage: "master",
                                                                                    of: alice.userID))]
            let (challenge, flows) = try await api.call(.post, "\(Self.keys)/device_signing/upload", token: alice.token,
                                                        body: newMaster)
            #expect(challenge == 401)
            #expect(flows["flows"]?.arrayValue?.first?["stages"] == ["m.login.password"])

            // Alice's self-signing key signs her device; a bad signature of the master key fails alone.
            var device = try alice.deviceKeys()
            device = try JSONSigning.sign(device, serverName: alice.userID, keyID: "ed25519:\(Self.id(selfSigning))",
                                          key: selfSigning)
            var forged = masterKey
            forged["signatures"] = .object([alice.userID: .object(["ed25519:\(alice.deviceID)": "AAAA"])])
            let (_, signed) = try await api.call(.post, "\(Self.keys)/signatures/upload", token: alice.token, body: [
                alice.userID: .object([alice.deviceID: .object(device), Self.id(master): .object(forged)]),
            ])
            #expect(signed["failures"]?[alice.userID]?[alice.deviceID] == nil)
            #expect(signed["failures"]?[alice.userID]?[Self.id(master)]?["errcode"] == "M_INVALID_SIGNATURE")

            let (_, seenByBob) = try await api.call(.post, "\(Self.keys)/query", token: bob.token, body: [
                "device_keys": .object([alice.userID: []]),
            ])
            let shownDevice = try #require(seenByBob["device_keys"]?[alice.userID]?[alice.deviceID]?.objectValue)
            try JSONSigning.verify(shownDevice, serverName: alice.userID, keyID: "ed25519:\(Self.id(selfSigning))",
                                   publicKey: selfSigning.publicKey)
            #expect(seenByBob["master_keys"]?[alice.userID]?["keys"] == masterKey["keys"])
            #expect(seenByBob["self_signing_keys"]?[alice.userID] != nil)
            #expect(seenByBob["user_signing_keys"]?[alice.userID] == nil)
            let (_, seenByAlice) = try await api.call(.post, "\(Self.keys)/query", token: alice.token, body: [
                "device_keys": .object([alice.userID: []]),
            ])
            #expect(seenByAlice["user_signing_keys"]?[alice.userID] != nil)

            var authenticated = newMaster
            authenticated["auth"] = Self.password
            #expect(try await api.call(.post, "\(Self.keys)/device_signing/upload", token: alice.token,
                                       body: authenticated).status == 200)
        }
    }

    static let password: JSONValue = [
        "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "alice"],
        "password": "correct horse battery",
    ]

    static func id(_ key: Ed25519SigningKey) -> String { Base64.encodeUnpadded(key.publicKey) }

    static func crossSigningKey(_ key: Ed25519SigningKey, usage: String, of userID: String) -> JSONObject {
        ["user_id": .string(userID), "usage": [.string(usage)], "keys": .object(["ed25519:\(id(key))": .string(id(key))])]
    }

    static func crossSigningKey(
        _ key: Ed25519SigningKey, usage: String, of userID: String, signedBy master: Ed25519SigningKey
    ) throws -> JSONObject {
        try JSONSigning.sign(crossSigningKey(key, usage: usage, of: userID), serverName: userID,
                             keyID: "ed25519:\(id(master))", key: master)
    }
}
