import Homeserver
import Hummingbird
import MatrixCore
import Storage

/// Synapse's media admin API, for server admins (served by the media worker):
/// https://element-hq.github.io/synapse/latest/admin_api/media_admin_api.html
///
/// - `POST /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}` and `…/unquarantine/…`
/// - `DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}`
/// - `POST /_synapse/admin/v1/user/{userId}/media/quarantine`
/// - `GET` and `DELETE /_synapse/admin/v1/users/{userId}/media` (a page: `from`, `limit`)
public struct AdminMediaRoutes: Sendable {
    /// Page size when `limit` is absent (Synapse's).
    static let defaultPageSize = 100

    let administration: MediaAdministration

    public init(administration: MediaAdministration) {
        self.administration = administration
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        let admin = router.adminGroup(authenticatedBy: authentication)
        admin.post("v1/media/quarantine/:serverName/:mediaId") { _, context in
            try await administration.setQuarantine(origin: try context.pathParameter("serverName"),
                                                   mediaID: try context.pathParameter("mediaId"),
                                                   by: try context.requireRequester().userID)
            return JSONObject()
        }
        admin.post("v1/media/unquarantine/:serverName/:mediaId") { _, context in
            try await administration.setQuarantine(origin: try context.pathParameter("serverName"),
                                                   mediaID: try context.pathParameter("mediaId"), by: nil)
            return JSONObject()
        }
        admin.delete("v1/media/:serverName/:mediaId") { _, context in
            let deleted = try await administration.delete([(try context.pathParameter("serverName"),
                                                            try context.pathParameter("mediaId"))])
            guard !deleted.isEmpty else { throw MatrixError(.notFound, "No such media") }
            return Self.deletion(deleted)
        }
        admin.post("v1/user/:userId/media/quarantine") { _, context in
            let count = try await administration.quarantineMedia(of: try context.userID(),
                                                                 by: try context.requireRequester().userID)
            return ["num_quarantined": .integer(Int64(count))] as JSONObject
        }
        admin.get("v1/users/:userId/media") { request, context in
            let page = try await page(of: request, context: context)
            var response: JSONObject = ["media": .array(page.media.map(Self.entry)), "total": .integer(Int64(page.total))]
            if let next = page.nextOffset { response["next_token"] = .integer(Int64(next)) }
            return response
        }
        admin.delete("v1/users/:userId/media") { request, context in
            let page = try await page(of: request, context: context)
            return Self.deletion(try await administration.delete(page.media.map { ($0.origin, $0.mediaID) }))
        }
    }

    private func page(of request: Request, context: MatrixRequestContext) async throws -> UserMediaPage {
        try await administration.media(of: try context.userID(),
                                       offset: try request.nonNegativeIntegerQuery("from") ?? 0,
                                       limit: try request.nonNegativeIntegerQuery("limit") ?? Self.defaultPageSize)
    }

    private static func deletion(_ mediaIDs: [String]) -> JSONObject {
        ["deleted_media": .array(mediaIDs.map(JSONValue.string)), "total": .integer(Int64(mediaIDs.count))]
    }

    /// One file as Synapse lists it.
    private static func entry(_ record: MediaRecord) -> JSONValue {
        var entry: JSONObject = [
            "media_id": .string(record.mediaID), "created_ts": .integer(record.createdAt),
            "media_length": record.size.map(JSONValue.integer) ?? .null,
            "media_type": record.contentType.map(JSONValue.string) ?? .null,
            "upload_name": record.uploadName.map(JSONValue.string) ?? .null,
            "quarantined_by": record.quarantinedBy.map(JSONValue.string) ?? .null,
            "safe_from_quarantine": false,
        ]
        entry["last_access_ts"] = .integer(record.uploadedAt ?? record.createdAt)
        return .object(entry)
    }
}
