import Homeserver
import Hummingbird
import MatrixCore

/// Display names and avatars: `GET /profile/{userId}[/field]` and `PUT` of one's own fields.
public struct ProfileRoutes: Sendable {
    let profiles: ProfileService

    public init(profiles: ProfileService) {
        self.profiles = profiles
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: nil) {
            group.get("profile/:userId") { _, context in
                let profile = try await profiles.profile(of: try context.userID())
                var response: JSONObject = [:]
                if let name = profile.displayName { response["displayname"] = .string(name) }
                if let avatar = profile.avatarURL { response["avatar_url"] = .string(avatar) }
                return response
            }
            for field in ["displayname", "avatar_url"] {
                group.get(RouterPath("profile/:userId/\(field)")) { _, context in
                    let profile = try await profiles.profile(of: try context.userID())
                    guard let value = field == "displayname" ? profile.displayName : profile.avatarURL else {
                        throw MatrixError(.notFound, "The user has no \(field)")
                    }
                    return [field: .string(value)] as JSONObject
                }
            }
        }
        for group in router.clientGroups(authenticatedBy: authentication) {
            for field in ["displayname", "avatar_url"] {
                group.put(RouterPath("profile/:userId/\(field)")) { request, context in
                    let requester = try context.requireRequester()
                    guard try context.userID() == requester.userID else {
                        throw MatrixError(.forbidden, "You can only change your own profile")
                    }
                    let value = try await request.jsonObject().string(field)
                    if field == "displayname" {
                        try await profiles.setDisplayName(value, for: requester.userID)
                    } else {
                        try await profiles.setAvatarURL(value, for: requester.userID)
                    }
                    return JSONObject()
                }
            }
        }
    }
}
