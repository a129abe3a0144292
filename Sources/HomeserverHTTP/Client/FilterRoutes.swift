import Homeserver
import Hummingbird
import MatrixCore

/// Filters: `POST /user/{userId}/filter` and `GET /user/{userId}/filter/{filterId}`.
public struct FilterRoutes: Sendable {
    let filters: FilterService

    public init(filters: FilterService) {
        self.filters = filters
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.post("user/:userId/filter") { request, context in
                let filterID = try await filters.create(try await request.jsonObject(), owner: try context.userID(),
                                                        by: try context.requireRequester())
                return ["filter_id": .string(filterID)] as JSONObject
            }
            group.get("user/:userId/filter/:filterId") { _, context in
                try await filters.filter(try context.pathParameter("filterId"), owner: try context.userID(),
                                         requester: try context.requireRequester())
            }
        }
    }
}
