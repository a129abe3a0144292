import Homeserver
import HTTPTypes
import Hummingbird
import MatrixCore
import NIOCore

/// The media repository's client endpoints: the authenticated `/_matrix/client/v1/media/*`
/// (spec v1.11), uploads under `/_matrix/media/{v3,r0}` and `/_matrix/media/v1/create`, and the
/// legacy unauthenticated downloads and thumbnails, which serve only media stored before
/// unauthenticated access was frozen.
public struct MediaRoutes: Sendable {
    let repository: MediaRepository
    /// `nil` when URL previews are off.
    let previews: URLPreviewService?

    /// How long a download waits for a pending upload unless `timeout_ms` says otherwise.
    static let defaultWaitMilliseconds: Int64 = 20_000

    public init(repository: MediaRepository, previews: URLPreviewService?) {
        self.repository = repository
        self.previews = previews
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        let authenticated = router.group("/_matrix/client/v1/media").add(middleware: authentication)
        registerReads(on: authenticated, authenticated: true)
        authenticated.get("config") { _, _ in configuration }
        authenticated.get("preview_url") { request, _ in try await preview(request) }

        for prefix in ["/_matrix/media/v3", "/_matrix/media/r0"] {
            registerReads(on: router.group(RouterPath(prefix)), authenticated: false)
            let group = router.group(RouterPath(prefix)).add(middleware: authentication)
            group.get("config") { _, _ in configuration }
            group.get("preview_url") { request, _ in try await preview(request) }
            group.post("upload") { request, context in
                let uri = try await repository.upload(
                    try Self.checkedBody(of: request, limit: repository.maxUploadBytes),
                    contentType: request.headers[.contentType], fileName: request.uri.queryParameters.get("filename"),
                    by: try context.requireRequester().userID
                )
                return ["content_uri": .string(uri.description)] as JSONObject
            }
            group.put("upload/:serverName/:mediaId") { request, context in
                try await repository.upload(
                    try Self.checkedBody(of: request, limit: repository.maxUploadBytes),
                    to: try Self.origin(context), mediaID: try context.pathParameter("mediaId"),
                    contentType: request.headers[.contentType], fileName: request.uri.queryParameters.get("filename"),
                    by: try context.requireRequester().userID
                )
                return JSONObject()
            }
        }
        router.group("/_matrix/media/v1").add(middleware: authentication).post("create") { _, context in
            let (uri, expiresAt) = try await repository.reserve(for: try context.requireRequester().userID)
            return ["content_uri": .string(uri.description), "unused_expires_at": .integer(expiresAt)] as JSONObject
        }
    }

    private func preview(_ request: Request) async throws -> JSONObject {
        guard let url = request.uri.queryParameters.get("url") else {
            throw MatrixError(.missingParam, "Missing query parameter 'url'")
        }
        guard let previews else { throw MatrixError(.forbidden, "URL previews are disabled on this server") }
        return try await previews.preview(of: url)
    }

    private var configuration: JSONObject {
        ["m.upload.size": .integer(Int64(repository.maxUploadBytes))]
    }

    /// Downloads and thumbnails.
    private func registerReads(on group: RouterGroup<MatrixRequestContext>, authenticated: Bool) {
        for path in ["download/:serverName/:mediaId", "download/:serverName/:mediaId/:fileName"] {
            group.get(RouterPath(path)) { request, context in
                let content = try await repository.content(
                    origin: try Self.origin(context), mediaID: try context.pathParameter("mediaId"),
                    authenticated: authenticated, waitMilliseconds: try Self.waitMilliseconds(request),
                    allowRemote: try request.booleanQuery("allow_remote") ?? true
                )
                let fileName = try context.parameters.get("fileName") == nil ? content.uploadName
                    : try context.pathParameter("fileName")
                return try await download(content, fileName: fileName)
            }
        }
        group.get("thumbnail/:serverName/:mediaId") { request, context in
            let thumbnail = try await Self.thumbnail(asked: request, origin: try Self.origin(context),
                                                     mediaID: try context.pathParameter("mediaId"),
                                                     authenticated: authenticated, from: repository)
            var headers = HTTPFields()
            headers[.contentType] = thumbnail.contentType
            headers[.contentDisposition] = MediaHeaders.contentDisposition(contentType: thumbnail.contentType,
                                                                           fileName: "thumbnail")
            headers[.cacheControl] = Self.cacheControl
            return Response(status: .ok, headers: headers, body: MediaFileBody.bytes(thumbnail.bytes))
        }
    }

    /// The file's bytes, streamed from the file store.
    private func download(_ content: MediaContent, fileName: String?) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = content.contentType
        headers[.contentDisposition] = MediaHeaders.contentDisposition(contentType: content.contentType,
                                                                       fileName: fileName)
        headers[.cacheControl] = Self.cacheControl
        return Response(status: .ok, headers: headers,
                        body: try await MediaFileBody.stream(content, from: repository.files))
    }

    /// Media never changes under its URI; caches may keep it for a day.
    static let cacheControl = "public, max-age=86400, s-maxage=86400"

    /// The request body, refused at once when its declared length is over the limit (the rest
    /// is enforced while it streams to the file store).
    private static func checkedBody(of request: Request, limit: Int) throws -> RequestBody {
        try BodyLimitMiddleware<MatrixRequestContext>.refuseDeclaredLength(of: request, over: limit)
        return request.body
    }

    /// The thumbnail a request asks for (`width`, `height`, `method`, `animated`, `timeout_ms`).
    static func thumbnail(asked request: Request, origin: ServerName, mediaID: String, authenticated: Bool,
                          from repository: MediaRepository) async throws -> ThumbnailContent {
        try await repository.thumbnail(
            origin: origin, mediaID: mediaID,
            width: try requiredDimension("width", of: request), height: try requiredDimension("height", of: request),
            method: try method(of: request), animated: try request.booleanQuery("animated") ?? false,
            authenticated: authenticated, waitMilliseconds: try waitMilliseconds(request)
        )
    }

    static func origin(_ context: MatrixRequestContext) throws -> ServerName {
        guard let origin = try? ServerName(parsing: try context.pathParameter("serverName")) else {
            throw MatrixError(.notFound, "No such media")
        }
        return origin
    }

    static func waitMilliseconds(_ request: Request) throws -> Int64 {
        Int64(try request.nonNegativeIntegerQuery("timeout_ms") ?? Int(defaultWaitMilliseconds))
    }

    private static func requiredDimension(_ name: String, of request: Request) throws -> Int {
        guard let value = try request.nonNegativeIntegerQuery(name) else {
            throw MatrixError(.missingParam, "Missing query parameter '\(name)'")
        }
        return value
    }

    private static func method(of request: Request) throws -> ThumbnailMethod {
        guard let text = request.uri.queryParameters.get("method") else { return .scale }
        guard let method = ThumbnailMethod(rawValue: text) else {
            throw MatrixError(.invalidParam, "method must be 'crop' or 'scale'")
        }
        return method
    }
}
