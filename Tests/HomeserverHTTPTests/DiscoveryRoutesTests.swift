import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixCore
import MatrixCrypto
import Testing

@Suite("Discovery and key endpoints")
struct DiscoveryRoutesTests {
    @Test("GET /_matrix/client/versions lists spec versions")
    func versions() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/_matrix/client/versions", method: .get) { response in
                #expect(response.status == .ok)
                let json = try response.json
                let versions = json["versions"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(versions.contains("v1.1"))
                #expect(versions.contains("r0.6.1"))
                #expect(json["unstable_features"]?.objectValue != nil)
            }
        }
    }

    @Test("well-known documents point at the configured base URL and delegate")
    func wellKnown() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/.well-known/matrix/client", method: .get) { response in
                let json = try response.json
                #expect(json["m.homeserver"]?["base_url"]?.stringValue == "https://matrix.example.org/")
            }
            try await client.execute(uri: "/.well-known/matrix/server", method: .get) { response in
                let json = try response.json
                #expect(json["m.server"]?.stringValue == "matrix.example.org:443")
            }
        }
        var app = TestApplication()
        app.federationDelegate = nil
        try await app.run { client in
            try await client.execute(uri: "/.well-known/matrix/server", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errcode == "M_NOT_FOUND")
            }
        }
    }

    @Test("GET /_matrix/federation/v1/version names Trellis")
    func federationVersion() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/_matrix/federation/v1/version", method: .get) { response in
                let json = try response.json
                #expect(json["server"]?["name"]?.stringValue == "Trellis")
            }
        }
    }

    @Test("GET /_matrix/key/v2/server is self-signed with the server key and valid for a while")
    func keyServer() async throws {
        let app = TestApplication()
        let publicKey = app.signingKey.key.publicKey
        let keyID = app.signingKey.keyID
        try await app.run { client in
            try await client.execute(uri: "/_matrix/key/v2/server", method: .get) { response in
                let document = try #require(try response.json.objectValue)
                #expect(document["server_name"]?.stringValue == "example.org")
                #expect(document["verify_keys"]?[keyID]?["key"]?.stringValue == Base64.encodeUnpadded(publicKey))
                let validUntil = try #require(document["valid_until_ts"]?.integerValue)
                #expect(validUntil > Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
                try JSONSigning.verify(document, serverName: "example.org", keyID: keyID, publicKey: publicKey)
                var tampered = document
                tampered["server_name"] = "evil.example"
                #expect(throws: (any Error).self) {
                    try JSONSigning.verify(tampered, serverName: "example.org", keyID: keyID, publicKey: publicKey)
                }
            }
        }
    }

    @Test("POST /_matrix/key/v2/query returns this server's keys when asked for them")
    func keyQuery() async throws {
        try await TestApplication().run { client in
            let asked = #"{"server_keys":{"example.org":{}}}"#
            try await client.execute(uri: "/_matrix/key/v2/query", method: .post, body: ByteBuffer(string: asked)) {
                let keys = try $0.json["server_keys"]?.arrayValue ?? []
                #expect(keys.count == 1)
                #expect(keys.first?["server_name"]?.stringValue == "example.org")
            }
            let other = #"{"server_keys":{"elsewhere.example":{}}}"#
            try await client.execute(uri: "/_matrix/key/v2/query", method: .post, body: ByteBuffer(string: other)) {
                let json = try $0.json
                #expect(json["server_keys"]?.arrayValue?.isEmpty == true)
            }
        }
    }
}
