import Foundation
import HomeserverHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MatrixCore
import MediaImaging
import HomeserverTesting
import Storage
import Testing

/// An image from `Tests/Fixtures/media`.
func mediaFixture(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/media/\(name)")
    return Array(try Data(contentsOf: url))
}

/// A response with its raw body.
struct RawResponse {
    var status: Int
    var headers: HTTPFields
    var body: [UInt8]

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    var json: JSONValue { get throws { try JSONValue(parsing: body) } }
}

extension ClientAPIClient {
    /// A request with a raw body; the response as bytes.
    func raw(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: [UInt8]? = nil,
             headers extraHeaders: HTTPFields = [:]) async throws -> RawResponse {
        var headers = extraHeaders
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: method, headers: headers,
                                        body: body.map { ByteBuffer(bytes: $0) }) { response in
            RawResponse(status: Int(response.status.code), headers: response.headers,
                        body: Array(response.body.readableBytesView))
        }
    }

    /// Uploads `bytes` and returns the content URI's server name and media ID.
    func upload(_ bytes: [UInt8], contentType: String, fileName: String? = nil, token: String) async throws
        -> (server: String, mediaID: String) {
        let query = fileName.map { "?filename=\(escaped($0))" } ?? ""
        let response = try await raw(.post, "/_matrix/media/v3/upload\(query)", token: token, body: bytes,
                                     headers: [.contentType: contentType])
        guard response.status == 200, let uri = try response.json["content_uri"]?.stringValue,
              let parsed = try? MXCURI(parsing: uri) else {
            throw UnexpectedResponse(status: response.status, json: (try? response.json) ?? .null)
        }
        return (parsed.serverName.description, String(parsed.mediaID))
    }

    /// The rows of `media`.
    func mediaRowCount() async throws -> Int {
        let rows = try await database.client.query("SELECT count(*)::int FROM media")
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// The files under the media store's `directory`.
    func mediaFiles(in directory: String) throws -> [String] {
        let root = mediaDirectory.appendingPathComponent(directory)
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }
    }
}

struct MediaFilesNotYet: Error {
    var count: Int
}

@Suite("Media repository routes")
struct MediaRoutesTests {
    static let securityHeaders = [
        ("X-Content-Type-Options", "nosniff"), ("Cross-Origin-Resource-Policy", "cross-origin"),
    ]

    func expectSecurityHeaders(_ response: RawResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, value) in Self.securityHeaders {
            #expect(response.header(name) == value, sourceLocation: sourceLocation)
        }
        #expect(response.header("Content-Security-Policy")?.hasPrefix("sandbox; default-src 'none'; script-src 'none'")
            == true, sourceLocation: sourceLocation)
    }

    @Test("an upload downloads byte-exact with its type, name and the security headers; the same bytes are stored once")
    func roundTrip() async throws {
        try await ClientAPITestServer(servesMedia: true).run { client in
            let token = try await client.register("alice")
            let photo = try mediaFixture("landscape.jpg")
            let (server, mediaID) = try await client.upload(photo, contentType: "image/jpeg", fileName: "holiday photo.jpg",
                                                            token: token)
            #expect(server == "test.local")
            let download = try await client.raw(.get, "/_matrix/client/v1/media/download/\(server)/\(mediaID)", token: token)
            #expect(download.status == 200)
            #expect(download.body == photo)
            #expect(download.header("Content-Type") == "image/jpeg")
            #expect(download.header("Content-Disposition") == "inline; filename=\"holiday photo.jpg\"")
            expectSecurityHeaders(download)

            let renamed = try await client.raw(
                .get, "/_matrix/client/v1/media/download/\(server)/\(mediaID)/\(escaped("été.jpg"))", token: token
            )
            #expect(renamed.body == photo)
            #expect(renamed.header("Content-Disposition") == "inline; filename*=utf-8''%C3%A9t%C3%A9.jpg")

            _ = try await client.upload(photo, contentType: "image/jpeg", token: token)
            #expect(try await client.mediaRowCount() == 2)
            #expect(try client.mediaFiles(in: "content").count == 1)
            #expect(try client.mediaFiles(in: "staging").isEmpty)
        }
    }

    @Test("types that could run script are attachments; an upload without a type is application/octet-stream")
    func dispositions() async throws {
        try await ClientAPITestServer(servesMedia: true).run { client in
            let token = try await client.register("alice")
            let cases: [(String?, String)] = [
                ("text/html", "attachment"), ("image/svg+xml", "attachment"), ("application/javascript", "attachment"),
                ("text/plain; charset=utf-8", "inline"), ("image/png", "inline"), (nil, "attachment"),
            ]
            for (type, disposition) in cases {
                let response = try await client.raw(.post, "/_matrix/media/v3/upload", token: token,
                                                    body: Array("<script>alert(1)</script>".utf8),
                                                    headers: type.map { [.contentType: $0] } ?? [:])
                let mxc = try MXCURI(parsing: try #require(try response.json["content_uri"]?.stringValue))
                let download = try await client.raw(
                    .get, "/_matrix/client/v1/media/download/test.local/\(mxc.mediaID)", token: token
                )
                #expect(download.header("Content-Disposition") == disposition, "\(type ?? "none")")
                #expect(download.header("Content-Type") == type ?? "application/octet-stream")
                expectSecurityHeaders(download)
            }
        }
    }

    @Test("authenticated endpoints need a token; frozen media is not on the legacy endpoints, earlier media is")
    func authentication() async throws {
        try await ClientAPITestServer(servesMedia: true).run { client in
            let token = try await client.register("alice")
            let (_, mediaID) = try await client.upload(Array("frozen".utf8), contentType: "text/plain", token: token)
            let anonymous = try await client.raw(.get, "/_matrix/client/v1/media/download/test.local/\(mediaID)")
            #expect(anonymous.status == 401)
            #expect(try anonymous.json["errcode"]?.stringValue == "M_MISSING_TOKEN")
            expectSecurityHeaders(anonymous)
            let legacy = try await client.raw(.get, "/_matrix/media/v3/download/test.local/\(mediaID)")
            #expect(legacy.status == 404)
            #expect(try legacy.json["errcode"]?.stringValue == "M_NOT_FOUND")
            expectSecurityHeaders(legacy)
            let noUploadToken = try await client.raw(.post, "/_matrix/media/v3/upload", body: [1, 2, 3])
            #expect(noUploadToken.status == 401)
        }
        try await ClientAPITestServer(extraConfiguration: "media: { freeze_unauthenticated_media: false }", servesMedia: true)
            .run { client in
                let token = try await client.register("alice")
                let (_, mediaID) = try await client.upload(Array("open".utf8), contentType: "text/plain", token: token)
                for prefix in ["/_matrix/media/v3", "/_matrix/media/r0", "/_matrix/client/v1/media"] {
                    let response = try await client.raw(.get, "\(prefix)/download/test.local/\(mediaID)",
                                                        token: prefix.contains("client") ? token : nil)
                    #expect(response.status == 200 && response.body == Array("open".utf8), "\(prefix)")
                }
            }
    }

    @Test("uploads over the limit get 413 M_TOO_LARGE, by declared length or while streaming, and leave nothing")
    func uploadLimit() async throws {
        try await ClientAPITestServer(extraConfiguration: "media: { max_upload_bytes: 1000 }", servesMedia: true)
            .run { client in
                let token = try await client.register("alice")
                let config = try await client.raw(.get, "/_matrix/client/v1/media/config", token: token)
                #expect(try config.json["m.upload.size"]?.integerValue == 1000)
                let declared = try await client.raw(.post, "/_matrix/media/v3/upload", token: token,
                                                    body: Array(repeating: 7, count: 1001),
                                                    headers: [.contentType: "application/octet-stream", .contentLength: "1001"])
                #expect(declared.status == 413)
                #expect(try declared.json["errcode"]?.stringValue == "M_TOO_LARGE")
                let streamed = try await client.raw(.post, "/_matrix/media/v3/upload", token: token,
                                                    body: Array(repeating: 7, count: 1001),
                                                    headers: [.contentType: "application/octet-stream"])
                #expect(streamed.status == 413)
                #expect(try streamed.json["errcode"]?.stringValue == "M_TOO_LARGE")
                #expect(try await client.mediaRowCount() == 0)
                #expect(try client.mediaFiles(in: "content").isEmpty)
                #expect(try client.mediaFiles(in: "staging").isEmpty)
                _ = try await client.upload(Array(repeating: 7, count: 1000), contentType: "application/octet-stream",
                                            token: token)
            }
    }

    @Test("asynchronous upload: create, wait for the bytes, upload once by the creator only, pending limit")
    func asynchronousUpload() async throws {
        try await ClientAPITestServer(extraConfiguration: "media: { max_pending_uploads_per_user: 2 }", servesMedia: true)
            .run { client in
                let alice = try await client.register("alice")
                let bob = try await client.register("bob")
                let created = try await client.call(.post, "/_matrix/media/v1/create", token: alice)
                #expect(created.status == 200)
                let mxc = try MXCURI(parsing: try #require(created.json["content_uri"]?.stringValue))
                let expiresAt = try #require(created.json["unused_expires_at"]?.integerValue)
                #expect(expiresAt > Int64(Date().timeIntervalSince1970 * 1000) + 86_000_000)
                let path = "test.local/\(mxc.mediaID)"

                let notYet = try await client.raw(.get, "/_matrix/client/v1/media/download/\(path)?timeout_ms=0", token: alice)
                #expect(notYet.status == 504)
                #expect(try notYet.json["errcode"]?.stringValue == "M_NOT_YET_UPLOADED")

                // A download that waits, answered once the upload lands.
                async let waiting = client.raw(.get, "/_matrix/client/v1/media/download/\(path)?timeout_ms=30000",
                                               token: bob)
                let stolen = try await client.raw(.put, "/_matrix/media/v3/upload/\(path)", token: bob, body: [1])
                #expect(stolen.status == 403)
                #expect(try stolen.json["errcode"]?.stringValue == "M_FORBIDDEN")
                let uploaded = try await client.raw(.put, "/_matrix/media/v3/upload/\(path)?filename=a.txt", token: alice,
                                                    body: Array("later".utf8), headers: [.contentType: "text/plain"])
                #expect(uploaded.status == 200)
                let download = try await waiting
                #expect(download.status == 200 && download.body == Array("later".utf8))
                #expect(download.header("Content-Disposition") == "inline; filename=\"a.txt\"")

                let again = try await client.raw(.put, "/_matrix/media/v3/upload/\(path)", token: alice, body: [2])
                #expect(again.status == 409)
                #expect(try again.json["errcode"]?.stringValue == "M_CANNOT_OVERWRITE_MEDIA")
                let unknown = try await client.raw(.put, "/_matrix/media/v3/upload/test.local/nosuchmedia", token: alice,
                                                   body: [2])
                #expect(unknown.status == 404)

                #expect(try await client.call(.post, "/_matrix/media/v1/create", token: alice).status == 200)
                #expect(try await client.call(.post, "/_matrix/media/v1/create", token: alice).status == 200)
                let third = try await client.call(.post, "/_matrix/media/v1/create", token: alice)
                #expect(third.status == 429)
                #expect(third.json["errcode"]?.stringValue == "M_LIMIT_EXCEEDED")
                #expect(try await client.call(.post, "/_matrix/media/v1/create", token: bob).status == 200)
            }
    }

    @Test("thumbnails are real, smaller images in the configured size that fits best, made once and kept")
    func thumbnails() async throws {
        try await ClientAPITestServer(servesMedia: true).run { client in
            let token = try await client.register("alice")
            let thumbnailer = ImageThumbnailer(maxPixels: 100_000_000)
            let photo = try mediaFixture("landscape.jpg")
            let (_, mediaID) = try await client.upload(photo, contentType: "image/jpeg", token: token)
            let base = "/_matrix/client/v1/media/thumbnail/test.local/\(mediaID)"

            let scaled = try await client.raw(.get, "\(base)?width=300&height=200&method=scale", token: token)
            #expect(scaled.status == 200)
            #expect(scaled.header("Content-Type") == "image/jpeg")
            expectSecurityHeaders(scaled)
            #expect(try thumbnailer.header(of: scaled.body) == ImageHeader(format: .jpeg, width: 320, height: 240, frameCount: 1))
            #expect(scaled.body.count < photo.count)

            let cropped = try await client.raw(.get, "\(base)?width=90&height=90&method=crop", token: token)
            #expect(try thumbnailer.header(of: cropped.body) == ImageHeader(format: .jpeg, width: 96, height: 96, frameCount: 1))
            #expect(try client.mediaFiles(in: "thumbnails").count == 2)
            let again = try await client.raw(.get, "\(base)?width=90&height=90&method=crop", token: token)
            #expect(again.body == cropped.body)
            #expect(try client.mediaFiles(in: "thumbnails").count == 2)

            let (_, gifID) = try await client.upload(try mediaFixture("animated.gif"), contentType: "image/gif", token: token)
            let gifBase = "/_matrix/client/v1/media/thumbnail/test.local/\(gifID)?width=96&height=96&method=crop"
            let animated = try await client.raw(.get, gifBase + "&animated=true", token: token)
            #expect(animated.header("Content-Type") == "image/gif")
            #expect(try thumbnailer.header(of: animated.body).frameCount == 3)
            let still = try await client.raw(.get, gifBase, token: token)
            #expect(still.header("Content-Type") == "image/png")
            #expect(try thumbnailer.header(of: still.body).frameCount == 1)
        }
    }

    @Test("with thumbnails_on_upload every configured size of an uploaded image is made without a request")
    func thumbnailsOnUpload() async throws {
        try await ClientAPITestServer(extraConfiguration: "media: { thumbnails_on_upload: true }", servesMedia: true)
            .run { client in
                let token = try await client.register("alice")
                _ = try await client.upload(try mediaFixture("landscape.jpg"), contentType: "image/jpeg", token: token)
                let made = try await eventually(within: .seconds(30)) {
                    let files = try client.mediaFiles(in: "thumbnails")
                    guard files.count == 5 else { throw MediaFilesNotYet(count: files.count) }
                    return files.map { ($0 as NSString).lastPathComponent }.sorted()
                }
                #expect(made == ["320x240-scale", "32x32-crop", "640x480-scale", "800x600-scale", "96x96-crop"])
            }
    }

    @Test("thumbnail errors: missing or bad parameters, unknown media, content that is no image")
    func thumbnailErrors() async throws {
        try await ClientAPITestServer(servesMedia: true).run { client in
            let token = try await client.register("alice")
            let (_, textID) = try await client.upload(Array("not an image".utf8), contentType: "image/png", token: token)
            let base = "/_matrix/client/v1/media/thumbnail/test.local"
            let cases: [(String, Int, String)] = [
                ("\(base)/\(textID)?height=32", 400, "M_MISSING_PARAM"),
                ("\(base)/\(textID)?width=32&height=-1", 400, "M_INVALID_PARAM"),
                ("\(base)/\(textID)?width=32&height=32&method=stretch", 400, "M_INVALID_PARAM"),
                ("\(base)/\(textID)?width=0&height=32", 400, "M_INVALID_PARAM"),
                ("\(base)/nosuchmedia?width=32&height=32", 404, "M_NOT_FOUND"),
                ("\(base)/\(textID)?width=32&height=32", 400, "M_UNKNOWN"),
                ("/_matrix/client/v1/media/download/not a server/x", 404, "M_NOT_FOUND"),
            ]
            for (path, status, errcode) in cases {
                let response = try await client.raw(.get, path, token: token)
                #expect(response.status == status, "\(path)")
                #expect(try response.json["errcode"]?.stringValue == errcode, "\(path)")
                expectSecurityHeaders(response)
            }
        }
    }

    @Test("quarantined media is not served")
    func quarantine() async throws {
        try await ClientAPITestServer(servesMedia: true).run { client in
            let token = try await client.register("alice")
            let (_, mediaID) = try await client.upload(Array("bad".utf8), contentType: "text/plain", token: token)
            #expect(try await MediaStore(database: client.database)
                .setQuarantine(origin: "test.local", mediaID: mediaID, by: "@admin:test.local"))
            let response = try await client.raw(.get, "/_matrix/client/v1/media/download/test.local/\(mediaID)", token: token)
            #expect(response.status == 404)
        }
    }
}
