import HTTPTypes
import HomeserverTesting
import MatrixCore
import Testing

/// Server-side key backup: `/room_keys/version` and `/room_keys/keys`.
@Suite("Key backup: versions and room keys")
struct KeyBackupRoutesTests {
    static let versions = "/_matrix/client/v3/room_keys/version"
    static let keys = "/_matrix/client/v3/room_keys/keys"
    static let algorithm = "m.megolm_backup.v1.curve25519-aes-sha2"

    static func key(index: Int64, forwards: Int64 = 0, verified: Bool = false, data: String) -> JSONObject {
        ["first_message_index": .integer(index), "forwarded_count": .integer(forwards), "is_verified": .bool(verified),
         "session_data": ["ciphertext": .string(data)]]
    }

    @Test("versions are created, read, updated and deleted; keys are kept when better and written only to the current version",
          .timeLimit(.minutes(2)))
    func backup() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let (none, noneError) = try await api.call(.get, Self.versions, token: alice)
            #expect(none == 404)
            #expect(noneError["errcode"] == "M_NOT_FOUND")

            let create: JSONObject = ["algorithm": .string(Self.algorithm), "auth_data": ["public_key": "abc"]]
            let (_, created) = try await api.call(.post, Self.versions, token: alice, body: create)
            #expect(created["version"] == "1")
            let (_, first) = try await api.call(.get, Self.versions, token: alice)
            #expect(first["version"] == "1")
            #expect(first["count"] == 0)
            #expect(first["auth_data"] == ["public_key": "abc"])

            let session = "\(Self.keys)/\(escaped("!room:test"))/session1?version=1"
            let (_, stored) = try await api.call(.put, session, token: alice, body: Self.key(index: 5, data: "five"))
            #expect(stored["count"] == 1)
            let etag = try #require(stored["etag"]?.stringValue)
            // A worse key (later first index) changes nothing; a better one replaces it.
            let (_, worse) = try await api.call(.put, session, token: alice, body: Self.key(index: 9, data: "nine"))
            #expect(worse["etag"]?.stringValue == etag)
            let (_, better) = try await api.call(.put, session, token: alice, body: Self.key(index: 2, data: "two"))
            #expect(better["etag"]?.stringValue != etag)
            let (_, read) = try await api.call(.get, session, token: alice)
            #expect(read == .object(Self.key(index: 2, data: "two")))

            let (_, all) = try await api.call(.put, "\(Self.keys)?version=1", token: alice, body: [
                "rooms": .object(["!other:test": ["sessions": ["session2": .object(Self.key(index: 0, data: "zero"))]]]),
            ])
            #expect(all["count"] == 2)
            let (_, everything) = try await api.call(.get, "\(Self.keys)?version=1", token: alice)
            #expect(everything["rooms"]?["!other:test"]?["sessions"]?["session2"] == .object(Self.key(index: 0, data: "zero")))
            #expect(everything["rooms"]?["!room:test"]?["sessions"]?["session1"] != nil)

            let (missing, missingError) = try await api.call(.get, "\(Self.keys)/\(escaped("!room:test"))/nope?version=1",
                                                             token: alice)
            #expect(missing == 404)
            #expect(missingError["errcode"] == "M_NOT_FOUND")
            let (noVersion, noVersionError) = try await api.call(.get, Self.keys, token: alice)
            #expect(noVersion == 400)
            #expect(noVersionError["errcode"] == "M_MISSING_PARAM")

            // A new version makes the old one stale for writes.
            let (_, second) = try await api.call(.post, Self.versions, token: alice, body: create)
            #expect(second["version"] == "2")
            let (stale, staleError) = try await api.call(.put, session, token: alice, body: Self.key(index: 1, data: "one"))
            #expect(stale == 403)
            #expect(staleError["errcode"] == "M_WRONG_ROOM_KEYS_VERSION")
            #expect(staleError["current_version"] == "2")

            let (changed, changedError) = try await api.call(.put, "\(Self.versions)/2", token: alice,
                                                             body: ["algorithm": "other", "auth_data": [:]])
            #expect(changed == 400)
            #expect(changedError["errcode"] == "M_INVALID_PARAM")
            #expect(try await api.call(.put, "\(Self.versions)/2", token: alice,
                                       body: ["algorithm": .string(Self.algorithm), "auth_data": ["public_key": "new"]])
                .status == 200)
            let (_, updated) = try await api.call(.get, "\(Self.versions)/2", token: alice)
            #expect(updated["auth_data"] == ["public_key": "new"])

            let (_, deletedKeys) = try await api.call(.delete, "\(Self.keys)/\(escaped("!room:test"))?version=1",
                                                      token: alice)
            #expect(deletedKeys["count"] == 1)
            #expect(try await api.call(.delete, "\(Self.versions)/1", token: alice).status == 200)
            #expect(try await api.call(.get, "\(Self.versions)/1", token: alice).status == 404)
            #expect(try await api.call(.delete, "\(Self.versions)/1", token: alice).status == 404)
            #expect(try await api.call(.get, Self.versions, token: alice).json["version"] == "2")
        }
    }
}
