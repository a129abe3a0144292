import Foundation
import HomeserverTesting
import MatrixCore
import MatrixCrypto
import MediaImaging
import Testing

/// Uploads and downloads through nginx to two media replicas sharing one file store.
@Suite("Media through nginx with two media replicas")
struct MediaEndToEndTests {
    @Test("uploads round-trip byte-exact through either replica; thumbnails; limits and security headers",
          .timeLimit(.minutes(5)))
    func media() async throws {
        let cluster = try await LocalCluster.start(replicas: ["media": 2])
        do {
            try await exchange(through: cluster)
        } catch {
            await cluster.cleanUp()
            throw error
        }
        await cluster.cleanUp()
    }

    func exchange(through cluster: LocalCluster) async throws {
        let token = try await ClusterClient(baseURL: cluster.baseURL).register("alice")
        let scratch = cluster.runDirectory.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        // Three MiB: far over the other workers' body limit, streamed by the media worker.
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let upload = try await MediaCurl.transfer(
            "\(cluster.baseURL)/_matrix/media/v3/upload?filename=big.bin", method: "POST", upload: Data(bytes),
            contentType: "application/octet-stream", token: token, scratch: scratch
        )
        #expect(upload.status == 200)
        let uri = try MXCURI(parsing: try #require(try JSONValue(parsing: Array(upload.body))["content_uri"]?.stringValue))
        let path = "/_matrix/client/v1/media/download/localhost/\(uri.mediaID)"

        let replicas = cluster.workers.filter { $0.kind == "media" }
        #expect(replicas.count == 2)
        let bases = [cluster.baseURL, cluster.baseURL] + replicas.map { "http://127.0.0.1:\($0.apiPort)" }
        for base in bases {
            let download = try await MediaCurl.transfer(base + path, token: token, scratch: scratch)
            #expect(download.status == 200, "\(base)")
            #expect(download.body.count == bytes.count && SHA256.hash(download.body) == SHA256.hash(bytes), "\(base)")
            #expect(download.headers["x-trellis-worker"] == "media")
            #expect(download.headers["content-disposition"] == "attachment; filename=\"big.bin\"")
            #expect(download.headers["x-content-type-options"] == "nosniff")
            #expect(download.headers["cross-origin-resource-policy"] == "cross-origin")
            #expect(download.headers["content-security-policy"]?.hasPrefix("sandbox;") == true)
        }

        let photo = try Data(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fixtures/media/landscape.jpg"))
        let photoUpload = try await MediaCurl.transfer(
            "\(cluster.baseURL)/_matrix/media/v3/upload", method: "POST", upload: photo, contentType: "image/jpeg",
            token: token, scratch: scratch
        )
        let photoURI = try MXCURI(parsing: try #require(try JSONValue(parsing: Array(photoUpload.body))["content_uri"]?.stringValue))
        let thumbnail = try await MediaCurl.transfer(
            "\(cluster.baseURL)/_matrix/client/v1/media/thumbnail/localhost/\(photoURI.mediaID)?width=320&height=240",
            token: token, scratch: scratch
        )
        #expect(thumbnail.status == 200)
        #expect(thumbnail.headers["content-type"] == "image/jpeg")
        #expect(try ImageThumbnailer(maxPixels: 1 << 30).header(of: Array(thumbnail.body))
            == ImageHeader(format: .jpeg, width: 320, height: 240, frameCount: 1))

        let tooLarge = try await MediaCurl.transfer(
            "\(cluster.baseURL)/_matrix/media/v3/upload", method: "POST",
            upload: Data(count: LocalCluster.maxUploadBytes + 1), contentType: "application/octet-stream",
            token: token, scratch: scratch
        )
        #expect(tooLarge.status == 413)
        #expect(try JSONValue(parsing: Array(tooLarge.body))["errcode"]?.stringValue == "M_TOO_LARGE")
        #expect(tooLarge.headers["x-content-type-options"] == "nosniff")
    }
}

/// Binary HTTP transfers with `curl`, through files.
enum MediaCurl {
    struct Response {
        var status: Int
        /// Header names in lower case.
        var headers: [String: String]
        var body: [UInt8]
    }

    static func transfer(
        _ url: String, method: String = "GET", upload: Data? = nil, contentType: String? = nil, token: String,
        scratch: URL
    ) async throws -> Response {
        let name = UUID().uuidString
        let bodyFile = scratch.appendingPathComponent("\(name).out"), headerFile = scratch.appendingPathComponent("\(name).head")
        var arguments = ["-sS", "--max-time", "60", "-X", method, "-H", "Expect:", "-H", "Authorization: Bearer \(token)",
                         "-o", bodyFile.path, "-D", headerFile.path]
        if let upload {
            let file = scratch.appendingPathComponent("\(name).in")
            try upload.write(to: file)
            arguments += ["-H", "Content-Type: \(contentType ?? "application/octet-stream")", "--data-binary", "@" + file.path]
        }
        _ = try await Command.run("/usr/bin/curl", arguments + [url])
        let head = try Curl.parse(try String(contentsOf: headerFile, encoding: .utf8) + "\r\n\r\n")
        return Response(status: head.status, headers: head.headers, body: Array(try Data(contentsOf: bodyFile)))
    }
}
