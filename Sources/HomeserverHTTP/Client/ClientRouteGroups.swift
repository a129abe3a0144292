import Hummingbird

/// The path prefixes of the client API: `v3`, and `r0` for clients that still call it.
enum ClientAPIPrefix {
    static let all = ["/_matrix/client/v3", "/_matrix/client/r0"]
}

extension Router where Context == MatrixRequestContext {
    /// One group per client API prefix, each behind `middleware` when given.
    func clientGroups(authenticatedBy middleware: AccessTokenMiddleware?) -> [RouterGroup<MatrixRequestContext>] {
        ClientAPIPrefix.all.map { prefix in
            let group = self.group(RouterPath(prefix))
            if let middleware { group.add(middleware: middleware) }
            return group
        }
    }
}
