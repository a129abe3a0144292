import Homeserver
import Hummingbird
import MatrixCore
import Storage

/// Synapse's user admin API, for server admins:
/// https://element-hq.github.io/synapse/latest/admin_api/user_admin_api.html
///
/// - `GET /_synapse/admin/v2/users`: a page of users (`from`, `limit`, `name`, `user_id`,
///   `guests`, `deactivated`, `admins`), with `next_token` while more follow.
/// - `GET /_synapse/admin/v2/users/{userId}`: one user.
/// - `PUT /_synapse/admin/v2/users/{userId}`: create (`201`) or modify (`200`) a user.
/// - `POST /_synapse/admin/v1/deactivate/{userId}`: deactivate, optionally `erase`.
public struct AdminUserRoutes: Sendable {
    /// Page size when `limit` is absent (Synapse's).
    static let defaultPageSize = 100

    let users: UserAdministration

    public init(users: UserAdministration) {
        self.users = users
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        let admin = router.adminGroup(authenticatedBy: authentication)
        admin.get("v2/users") { request, _ in
            let offset = try request.nonNegativeIntegerQuery("from") ?? 0
            let page = try await users.users(
                matching: try Self.filter(of: request), offset: offset,
                limit: try request.nonNegativeIntegerQuery("limit") ?? Self.defaultPageSize
            )
            let entries = page.users.map { user in
                JSONValue.object(AdminUserJSON.listEntry(user, lastSeen: page.lastSeen[user.userID]))
            }
            var response: JSONObject = ["users": .array(entries), "total": .integer(Int64(page.total))]
            if let next = page.nextOffset { response["next_token"] = .string(String(next)) }
            return response
        }
        admin.get("v2/users/:userId") { _, context in
            AdminUserJSON.details(try await users.details(of: try context.userID()))
        }
        admin.put("v2/users/:userId") { request, context in
            let (details, created) = try await users.createOrModify(
                try context.userID(), with: try AdminUserJSON.changes(in: try await request.jsonObject()),
                by: try context.requireRequester()
            )
            return Response.json(.object(AdminUserJSON.details(details)), status: created ? .created : .ok)
        }
        admin.post("v1/deactivate/:userId") { request, context in
            let userID = try context.userID()
            let erase = try await request.jsonObjectOrEmpty().bool("erase") ?? false
            try await users.deactivate(userID, erase: erase)
            return ["id_server_unbind_result": "success"] as JSONObject
        }
    }

    /// The list filters. Trellis has no guest accounts, so `guests` is only checked to be a boolean.
    private static func filter(of request: Request) throws -> UserListFilter {
        _ = try request.booleanQuery("guests")
        let query = request.uri.queryParameters
        return UserListFilter(
            name: query.get("name"), userIDContains: query.get("user_id"),
            includeDeactivated: try request.booleanQuery("deactivated") ?? false,
            admins: try request.booleanQuery("admins")
        )
    }
}
