import Foundation
import Homeserver
import HTTPTypes
import Hummingbird
import MatrixAPI
import MatrixCore

/// `GET /_matrix/federation/v1/media/{download,thumbnail}/{mediaId}`: this server's media for
/// other servers, signed requests only, as `multipart/mixed` (JSON metadata, then the file).
public struct FederationMediaRoutes: Sendable {
    let repository: MediaRepository

    public init(repository: MediaRepository) {
        self.repository = repository
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: FederationAuthMiddleware) {
        let group = router.group("/_matrix/federation/v1/media").add(middleware: authentication)
        group.get("download/:mediaId") { request, context in
            let content = try await repository.content(
                origin: repository.serverName, mediaID: try context.pathParameter("mediaId"), authenticated: true,
                waitMilliseconds: try MediaRoutes.waitMilliseconds(request)
            )
            let boundary = Self.newBoundary()
            let (prefix, suffix) = Self.envelope(boundary: boundary, contentType: content.contentType,
                                                 fileName: content.uploadName)
            return Response(status: .ok, headers: Self.headers(boundary: boundary),
                            body: try await MediaFileBody.stream(content, from: repository.files, prefix: prefix,
                                                                 suffix: suffix))
        }
        group.get("thumbnail/:mediaId") { request, context in
            let thumbnail = try await MediaRoutes.thumbnail(asked: request, origin: repository.serverName,
                                                            mediaID: try context.pathParameter("mediaId"),
                                                            authenticated: true, from: repository)
            let boundary = Self.newBoundary()
            let (prefix, suffix) = Self.envelope(boundary: boundary, contentType: thumbnail.contentType, fileName: nil)
            return Response(status: .ok, headers: Self.headers(boundary: boundary),
                            body: MediaFileBody.bytes(prefix + thumbnail.bytes + suffix))
        }
    }

    /// The multipart bytes before and after the file: the (empty) metadata part and the file
    /// part's headers, then the closing delimiter.
    static func envelope(boundary: String, contentType: String, fileName: String?) -> (prefix: [UInt8], suffix: [UInt8]) {
        let metadata = MultipartMixed.partHead(boundary: boundary, headers: [("Content-Type", "application/json")],
                                               isFirst: true) + Array("{}".utf8)
        let file = MultipartMixed.partHead(
            boundary: boundary,
            headers: [("Content-Type", contentType),
                      ("Content-Disposition", MediaHeaders.contentDisposition(contentType: contentType, fileName: fileName))],
            isFirst: false
        )
        return (metadata + file, MultipartMixed.closing(boundary: boundary))
    }

    private static func headers(boundary: String) -> HTTPFields {
        [.contentType: MultipartMixed.contentType(boundary: boundary), .cacheControl: MediaRoutes.cacheControl]
    }

    /// A boundary that cannot occur in the file by chance.
    private static func newBoundary() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
