import AsyncHTTPClient
import Foundation
import HomeserverTesting
import Hummingbird
import MatrixAPI
import MatrixCore
import MatrixCrypto
import MediaImaging
import NIOCore
import NIOHTTP1
import Storage
import Testing

/// An HTTP exchange with a server on a real loopback port.
struct LoopbackResponse {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: [UInt8]
    var json: JSONValue { get throws { try JSONValue(parsing: body) } }
}

enum Loopback {
    static func request(_ method: HTTPMethod, _ url: String, token: String? = nil, body: [UInt8]? = nil,
                        headers extra: [(String, String)] = []) async throws -> LoopbackResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return LoopbackResponse(status: Int(response.status.code), headers: headers, body: Array(collected.readableBytesView))
    }

    /// Registers `localpart` on the server at `base` and returns the access token.
    static func register(_ localpart: String, at base: String) async throws -> String {
        let body: JSONObject = ["username": .string(localpart), "password": "long enough password",
                                "auth": ["type": "m.login.dummy"]]
        let response = try await request(.POST, "\(base)/_matrix/client/v3/register",
                                         body: Array(JSONValue.object(body).jsonString().utf8))
        return try #require(try response.json["access_token"]?.stringValue)
    }
}

@Suite("Media over federation between two servers on loopback")
struct FederationMediaTests {
    /// The signing key of b.test in ``withServerPair(_:)``.
    static let keyOfB = ServerSigningKey.generate()

    /// Two servers, each reaching the other through a destination override.
    func withServerPair(
        _ test: @Sendable (_ a: String, _ b: String, _ bDatabase: Database, _ bMedia: URL) async throws -> Void
    ) async throws {
        let portA = try LoopbackPort.free(), portB = try LoopbackPort.free()
        let a = "http://127.0.0.1:\(portA)", b = "http://127.0.0.1:\(portB)"
        let serverA = ClientAPITestServer(
            extraConfiguration: "federation: { destination_overrides: [{ server_name: b.test, base_url: \"\(b)\" }] }", servesMedia: true,
            serverName: "a.test"
        )
        let serverB = ClientAPITestServer(
            extraConfiguration: "federation: { destination_overrides: [{ server_name: a.test, base_url: \"\(a)\" }] }", servesMedia: true,
            serverName: "b.test", signingKey: Self.keyOfB
        )
        try await serverA.runListening(on: portA) { _, _ in
            try await serverB.runListening(on: portB) { database, media in try await test(a, b, database, media) }
        }
    }

    @Test("a download of another server's media fetches it over signed federation, caches it and thumbnails it")
    func remoteDownload() async throws {
        try await withServerPair { a, b, bDatabase, bMedia in
            let alice = try await Loopback.register("alice", at: a)
            let bob = try await Loopback.register("bob", at: b)
            let photo = try mediaFixture("landscape.jpg")
            let upload = try await Loopback.request(.POST, "\(a)/_matrix/media/v3/upload?filename=beach.jpg", token: alice,
                                                    body: photo, headers: [("Content-Type", "image/jpeg")])
            let uri = try MXCURI(parsing: try #require(try upload.json["content_uri"]?.stringValue))
            #expect(uri.serverName.description == "a.test")

            // Several clients at once.
            let downloads = try await withThrowingTaskGroup(of: LoopbackResponse.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Loopback.request(.GET, "\(b)/_matrix/client/v1/media/download/a.test/\(uri.mediaID)",
                                                   token: bob)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for download in downloads {
                #expect(download.status == 200)
                #expect(download.body == photo)
                #expect(download.headers["content-type"] == "image/jpeg")
                #expect(download.headers["content-disposition"] == "inline; filename=\"beach.jpg\"")
            }
            let cached = try #require(try await MediaStore(database: bDatabase).media(origin: "a.test", mediaID: String(uri.mediaID)))
            #expect(cached.size == Int64(photo.count) && cached.uploader == nil && cached.authenticated)

            let thumbnail = try await Loopback.request(
                .GET, "\(b)/_matrix/client/v1/media/thumbnail/a.test/\(uri.mediaID)?width=96&height=96&method=crop", token: bob
            )
            #expect(thumbnail.status == 200)
            #expect(try ImageThumbnailer(maxPixels: 1 << 30).header(of: thumbnail.body)
                == ImageHeader(format: .jpeg, width: 96, height: 96, frameCount: 1))
            #expect(FileManager.default.fileExists(atPath: bMedia.appendingPathComponent("content").path))

            let missing = try await Loopback.request(.GET, "\(b)/_matrix/client/v1/media/download/a.test/nosuchmedia",
                                                     token: bob)
            #expect(missing.status == 404)
            #expect(try missing.json["errcode"]?.stringValue == "M_NOT_FOUND")
            // The legacy endpoints fetch nothing while unauthenticated media is frozen.
            let second = try await Loopback.request(.POST, "\(a)/_matrix/media/v3/upload", token: alice, body: [1, 2, 3])
            let secondID = try MXCURI(parsing: try #require(try second.json["content_uri"]?.stringValue)).mediaID
            let notFetched = try await Loopback.request(.GET, "\(b)/_matrix/media/v3/download/a.test/\(secondID)")
            #expect(notFetched.status == 404)
            #expect(try await MediaStore(database: bDatabase).media(origin: "a.test", mediaID: String(secondID)) == nil)
            let notAllowed = try await Loopback.request(
                .GET, "\(b)/_matrix/client/v1/media/download/a.test/\(secondID)?allow_remote=false", token: bob
            )
            #expect(notAllowed.status == 404)
        }
    }

    @Test("the federation media endpoints answer signed requests only, with multipart bodies")
    func federationEndpoints() async throws {
        try await withServerPair { a, _, _, _ in
            let alice = try await Loopback.register("alice", at: a)
            let upload = try await Loopback.request(.POST, "\(a)/_matrix/media/v3/upload", token: alice,
                                                    body: Array("hello".utf8), headers: [("Content-Type", "text/plain")])
            let uri = try MXCURI(parsing: try #require(try upload.json["content_uri"]?.stringValue))
            let path = "/_matrix/federation/v1/media/download/\(uri.mediaID)"

            let unsigned = try await Loopback.request(.GET, a + path)
            #expect(unsigned.status == 401)
            #expect(try unsigned.json["errcode"]?.stringValue == "M_UNAUTHORIZED")

            // Signed by a key b.test does not publish.
            let forged = try XMatrixAuthorization.sign(method: "GET", uri: path, origin: "b.test", destination: "a.test",
                                                       keyID: "ed25519:forged", key: .generate())
            let refused = try await Loopback.request(.GET, a + path, headers: [("Authorization", forged.headerValue)])
            #expect(refused.status == 401)
            #expect(try refused.json["errcode"]?.stringValue == "M_UNAUTHORIZED")

            let signed = try XMatrixAuthorization.sign(method: "GET", uri: path, origin: "b.test", destination: "a.test",
                                                       keyID: Self.keyOfB.keyID, key: Self.keyOfB.key)
            let served = try await Loopback.request(.GET, a + path, headers: [("Authorization", signed.headerValue)])
            #expect(served.status == 200)
            let boundary = try #require(served.headers["content-type"].flatMap(MultipartMixed.boundary(inContentType:)))
            let parts = try MultipartMixed.parse(served.body, boundary: boundary)
            #expect(parts.count == 2)
            #expect(parts.first?.body == Array("{}".utf8))
            #expect(parts.last?.header("Content-Type") == "text/plain")
            #expect(parts.last?.body == Array("hello".utf8))
            #expect(served.headers["x-content-type-options"] == "nosniff")

            let forOtherServer = try XMatrixAuthorization.sign(method: "GET", uri: path, origin: "b.test",
                                                               destination: "c.test", keyID: Self.keyOfB.keyID,
                                                               key: Self.keyOfB.key)
            let misdirected = try await Loopback.request(.GET, a + path, headers: [("Authorization", forOtherServer.headerValue)])
            #expect(misdirected.status == 401)
        }
    }

    @Test("an origin without the federation media API is read through the legacy download; a Location part is followed")
    func legacyAndLocation() async throws {
        try await withLoopbackStub(Self.legacyOrigin) { stub in
            let port = try LoopbackPort.free()
            // The CDN a Location part names is checked like any other host: loopback is allowed here.
            let server = ClientAPITestServer(
                extraConfiguration: """
                    federation: { destination_overrides: [{ server_name: c.test, base_url: "\(stub)" }],
                                  allowed_ip_ranges: [127.0.0.1/32] }
                    """,
                servesMedia: true
            )
            try await server.runListening(on: port) { _, _ in
                let base = "http://127.0.0.1:\(port)"
                let token = try await Loopback.register("dora", at: base)
                let old = try await Loopback.request(.GET, "\(base)/_matrix/client/v1/media/download/c.test/old", token: token)
                #expect(old.status == 200 && old.body == Array("from the legacy API".utf8))
                #expect(old.headers["content-disposition"] == "inline; filename=\"old.txt\"")
                let moved = try await Loopback.request(.GET, "\(base)/_matrix/client/v1/media/download/c.test/moved", token: token)
                #expect(moved.status == 200 && moved.body == Array("from the CDN".utf8))
                #expect(moved.headers["content-type"] == "application/pdf")
                #expect(moved.headers["content-disposition"] == "attachment")
            }
        }
    }

    @Test("a Location part or a resolved server name in a denied range is never fetched")
    func deniedDestinations() async throws {
        try await withLoopbackStub(Self.legacyOrigin) { stub in
            let server = ClientAPITestServer(
                extraConfiguration: "federation: { destination_overrides: [{ server_name: c.test, base_url: \"\(stub)\" }] }",
                servesMedia: true
            )
            try await server.run { client in
                let token = try await client.register("eve")
                let moved = try await client.raw(.get, "/_matrix/client/v1/media/download/c.test/moved", token: token)
                #expect(moved.status == 404)
                let stubPort = try #require(stub.split(separator: ":").last)
                let internalHost = try await client.raw(.get, "/_matrix/client/v1/media/download/127.0.0.1:\(stubPort)/cdn",
                                                    token: token)
                #expect(internalHost.status == 404)
                #expect(try await client.mediaRowCount() == 0)
            }
        }
    }

    @Test("remote media larger than the upload limit is 502 M_TOO_LARGE, and nothing is kept")
    func remoteTooLarge() async throws {
        try await withLoopbackStub(Self.legacyOrigin) { stub in
            let server = ClientAPITestServer(
                extraConfiguration: """
                    federation: { destination_overrides: [{ server_name: c.test, base_url: "\(stub)" }] }
                    media: { max_upload_bytes: 10 }
                    """,
                servesMedia: true
            )
            try await server.run { client in
                let token = try await client.register("fay")
                let old = try await client.raw(.get, "/_matrix/client/v1/media/download/c.test/old", token: token)
                #expect(old.status == 502)
                #expect(try old.json["errcode"]?.stringValue == "M_TOO_LARGE")
                #expect(try await client.mediaRowCount() == 0)
            }
        }
    }

    /// An origin that predates the federation media API for one file and moves another to a CDN.
    static func legacyOrigin(base: String) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/_matrix/federation/v1/media/download/old") { _, _ in
            Response(status: .notFound, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"errcode":"M_UNRECOGNIZED","error":"Unrecognized"}"#)))
        }
        router.get("/_matrix/media/v3/download/c.test/old") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain", .contentDisposition: "inline; filename=\"old.txt\""],
                     body: .init(byteBuffer: ByteBuffer(string: "from the legacy API")))
        }
        router.get("/_matrix/federation/v1/media/download/moved") { _, _ in
            let body = "--sep\r\nContent-Type: application/json\r\n\r\n{}\r\n--sep\r\nLocation: \(base)/cdn/file\r\n\r\n\r\n--sep--\r\n"
            return Response(status: .ok, headers: [.contentType: "multipart/mixed; boundary=sep"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/cdn/file") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/pdf"],
                     body: .init(byteBuffer: ByteBuffer(string: "from the CDN")))
        }
        return router
    }
}
