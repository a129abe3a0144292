import Hummingbird

/// The path prefix of Synapse's admin API, which Trellis serves for tools written against Synapse.
enum AdminAPIPrefix {
    static let path = "/_synapse/admin"
}

extension Router where Context == MatrixRequestContext {
    /// The admin API group for server admins only: an access token is required (`401`), and it
    /// must belong to a server admin (`403 M_FORBIDDEN`).
    func adminGroup(authenticatedBy authentication: AccessTokenMiddleware) -> RouterGroup<MatrixRequestContext> {
        group(RouterPath(AdminAPIPrefix.path)).add(middleware: authentication).add(middleware: ServerAdminMiddleware())
    }

    /// The admin API group for the endpoints Synapse serves without authentication.
    func publicAdminGroup() -> RouterGroup<MatrixRequestContext> {
        group(RouterPath(AdminAPIPrefix.path))
    }
}
