import Homeserver
import Hummingbird
import MatrixCore

/// `POST /user_directory/search` with `search_term` and `limit`.
public struct UserDirectoryRoutes: Sendable {
    let directory: UserDirectory

    public init(directory: UserDirectory) {
        self.directory = directory
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.post("user_directory/search") { request, context in
                let body = try await request.jsonObject()
                let (results, limited) = try await directory.search(
                    try body.requiredString("search_term"), limit: try body.integer("limit").map(Int.init),
                    by: try context.requireRequester()
                )
                let entries: [JSONValue] = results.map { user in
                    var entry: JSONObject = ["user_id": .string(user.userID)]
                    if let name = user.displayName { entry["display_name"] = .string(name) }
                    if let avatar = user.avatarURL { entry["avatar_url"] = .string(avatar) }
                    return .object(entry)
                }
                return ["results": .array(entries), "limited": .bool(limited)] as JSONObject
            }
        }
    }
}
