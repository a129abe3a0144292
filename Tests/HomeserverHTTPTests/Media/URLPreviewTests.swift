import Hummingbird
import MatrixCore
import NIOCore
import Testing

@Suite("URL previews")
struct URLPreviewTests {
    /// A web site on loopback: a page with Open Graph tags and a relative image, a redirect into
    /// another loopback address, and a page larger than the test limit.
    static func site(base: String) throws -> Router<BasicRequestContext> {
        let image = try mediaFixture("transparent.png")
        let router = Router()
        router.get("/page") { _, _ in
            let html = """
                <html><head><title>Fallback</title>
                <meta property="og:title" content="Trellis &amp; friends">
                <meta property="og:description" content="A homeserver">
                <meta property="og:image" content="/image.png"></head><body>hello</body></html>
                """
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/image.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
        router.get("/sneaky") { _, _ in
            Response(status: .found, headers: [.location: base.replacingOccurrences(of: "127.0.0.1", with: "127.0.0.2") + "/page"])
        }
        router.get("/big") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html"],
                     body: .init(byteBuffer: ByteBuffer(string: String(repeating: "x", count: 5000))))
        }
        return router
    }

    static func server(_ previews: String) -> ClientAPITestServer {
        ClientAPITestServer(extraConfiguration: "media: { url_previews: \(previews) }", servesMedia: true)
    }

    @Test("a page's Open Graph data, its image stored as local media")
    func preview() async throws {
        try await withLoopbackStub(Self.site) { site in
            try await Self.server("{ enabled: true, allowed_ip_ranges: [127.0.0.1/32] }").run { client in
                let token = try await client.register("alice")
                let (status, preview) = try await client.call(
                    .get, "/_matrix/client/v1/media/preview_url?url=\(escaped("\(site)/page"))", token: token
                )
                #expect(status == 200)
                #expect(preview["og:title"]?.stringValue == "Trellis & friends")
                #expect(preview["og:description"]?.stringValue == "A homeserver")
                #expect(preview["og:image:type"]?.stringValue == "image/png")
                #expect(preview["og:image:width"]?.integerValue == 400 && preview["og:image:height"]?.integerValue == 300)
                let image = try MXCURI(parsing: try #require(preview["og:image"]?.stringValue))
                let download = try await client.raw(.get, "/_matrix/client/v1/media/download/test.local/\(image.mediaID)",
                                                    token: token)
                #expect(download.body == (try mediaFixture("transparent.png")))
                #expect(preview["matrix:image:size"]?.integerValue == Int64(download.body.count))

                let legacy = try await client.call(.get, "/_matrix/media/v3/preview_url?url=\(escaped("\(site)/image.png"))",
                                                   token: token)
                #expect(legacy.json["og:image:type"]?.stringValue == "image/png")
            }
        }
    }

    @Test("loopback, redirects into denied ranges, oversized pages, bad URLs and the default off switch are refused")
    func refusals() async throws {
        try await withLoopbackStub(Self.site) { site in
            try await Self.server("{ enabled: true }").run { client in
                let token = try await client.register("alice")
                let denied = try await client.call(.get, "/_matrix/client/v1/media/preview_url?url=\(escaped("\(site)/page"))",
                                                   token: token)
                #expect(denied.status == 403 && denied.json["errcode"]?.stringValue == "M_FORBIDDEN")
                for bad in ["ftp://example.org/", "not a url", "file:///etc/passwd"] {
                    let response = try await client.call(.get, "/_matrix/client/v1/media/preview_url?url=\(escaped(bad))",
                                                         token: token)
                    #expect(response.status == 400, "\(bad)")
                }
                let missing = try await client.call(.get, "/_matrix/client/v1/media/preview_url", token: token)
                #expect(missing.json["errcode"]?.stringValue == "M_MISSING_PARAM")
            }
            try await Self.server("{ enabled: true, allowed_ip_ranges: [127.0.0.1/32], max_bytes: 1000 }").run { client in
                let token = try await client.register("alice")
                let sneaky = try await client.call(.get, "/_matrix/client/v1/media/preview_url?url=\(escaped("\(site)/sneaky"))",
                                                   token: token)
                #expect(sneaky.status == 403)
                let big = try await client.call(.get, "/_matrix/client/v1/media/preview_url?url=\(escaped("\(site)/big"))",
                                                token: token)
                #expect(big.status == 400 && big.json["errcode"]?.stringValue == "M_UNKNOWN")
            }
            try await ClientAPITestServer(servesMedia: true).run { client in
                let token = try await client.register("alice")
                let off = try await client.call(.get, "/_matrix/client/v1/media/preview_url?url=\(escaped("\(site)/page"))",
                                                token: token)
                #expect(off.status == 403 && off.json["errcode"]?.stringValue == "M_FORBIDDEN")
            }
        }
    }
}
