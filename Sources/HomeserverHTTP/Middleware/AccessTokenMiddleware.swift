import Homeserver
import Hummingbird
import MatrixCore

/// Authenticates the request's access token and puts the requester into the context.
///
/// The token comes from `Authorization: Bearer …` or, for older clients, the `access_token`
/// query parameter. No token: `401 M_MISSING_TOKEN`; an unknown or expired one:
/// `401 M_UNKNOWN_TOKEN` with `soft_logout`. The device's last use is recorded on the way.
public struct AccessTokenMiddleware: RouterMiddleware {
    public typealias Context = MatrixRequestContext
    let accounts: AccountService
    let activity: DeviceActivity?

    public init(accounts: AccountService, activity: DeviceActivity? = nil) {
        self.accounts = accounts
        self.activity = activity
    }

    public func handle(
        _ request: Request, context: MatrixRequestContext,
        next: (Request, MatrixRequestContext) async throws -> Response
    ) async throws -> Response {
        try await next(request, try await authenticated(request, context: context))
    }

    /// `context` with the requester of the request's access token, whose use is recorded. Never
    /// inlined, so that the frames of the token's lookup are freed before the request runs,
    /// instead of being held by every request while it runs (a long-poll, up to its timeout).
    @inline(never)
    private func authenticated(_ request: Request, context: MatrixRequestContext) async throws
        -> MatrixRequestContext {
        guard let token = Self.accessToken(of: request) else {
            throw MatrixError(.missingToken, "Missing access token")
        }
        var context = context
        let requester = try await accounts.authenticate(accessToken: token)
        context.requester = requester
        try await activity?.record(requester, address: request.clientAddress(context: context))
        return context
    }

    /// The bearer token of the `Authorization` header, else the `access_token` query parameter.
    static func accessToken(of request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]) }
            return nil
        }
        return request.uri.queryParameters.get("access_token")
    }
}
