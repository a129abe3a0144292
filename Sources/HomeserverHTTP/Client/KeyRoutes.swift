import Homeserver
import Hummingbird
import MatrixCore

/// The end-to-end encryption key APIs: `/keys/upload`, `/keys/query`, `/keys/claim`,
/// `/keys/changes`, `/keys/device_signing/upload` (user-interactive auth when it replaces
/// existing cross-signing keys) and `/keys/signatures/upload`.
public struct KeyRoutes: Sendable {
    let deviceKeys: DeviceKeyService
    let crossSigning: CrossSigningService
    let auth: UserInteractiveAuth

    public init(deviceKeys: DeviceKeyService, crossSigning: CrossSigningService, accounts: AccountService) {
        self.deviceKeys = deviceKeys
        self.crossSigning = crossSigning
        self.auth = UserInteractiveAuth(accounts: accounts)
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.post("keys/upload") { request, context in
                let counts = try await deviceKeys.upload(try await request.jsonObject(),
                                                         by: try context.requireRequester())
                var body = JSONTextObject()
                body.set("one_time_key_counts", object: Self.counts(counts))
                return body
            }
            group.post("keys/query") { request, context in
                let body = try await request.jsonObject()
                try Self.checkTimeout(in: body)
                guard let wanted = try body.object("device_keys") else {
                    throw MatrixError(.missingParam, "Missing parameter 'device_keys'")
                }
                return try await deviceKeys.query(wanted, by: try context.requireRequester())
            }
            group.post("keys/claim") { request, context in
                _ = try context.requireRequester()
                let body = try await request.jsonObject()
                try Self.checkTimeout(in: body)
                guard let oneTimeKeys = try body.object("one_time_keys") else {
                    throw MatrixError(.missingParam, "Missing parameter 'one_time_keys'")
                }
                return try await deviceKeys.claim(oneTimeKeys)
            }
            group.get("keys/changes") { request, context in
                let query = request.uri.queryParameters
                guard let from = query.get("from"), let to = query.get("to") else {
                    throw MatrixError(.missingParam, "'from' and 'to' are required")
                }
                let (changed, left) = try await deviceKeys.changes(
                    from: try SyncToken(parsing: from), to: try SyncToken(parsing: to), for: try context.requireRequester()
                )
                return ["changed": .array(changed.sorted().map(JSONValue.string)),
                        "left": .array(left.sorted().map(JSONValue.string))] as JSONObject
            }
            group.post("keys/device_signing/upload") { request, context in
                let requester = try context.requireRequester()
                let body = try await request.jsonObject()
                if try await crossSigning.requiresAuthentication(body, of: requester) {
                    try await auth.requirePassword(body, of: requester)
                }
                try await crossSigning.uploadSigningKeys(body, by: requester)
                return JSONObject()
            }
            group.post("keys/signatures/upload") { request, context in
                let failures = try await crossSigning.uploadSignatures(try await request.jsonObject(),
                                                                       by: try context.requireRequester())
                return ["failures": .object(failures)] as JSONObject
            }
        }
    }

    /// `timeout` of `keys/query` and `keys/claim`: how long to wait for other servers. Only local
    /// keys are answered so far, so it is unused, but a value of the wrong type is still a 400.
    private static func checkTimeout(in body: JSONObject) throws(MatrixError) {
        _ = try body.integer("timeout")
    }

    /// One-time key counts by algorithm, as `keys/upload` and `/sync` report them.
    static func counts(_ counts: [String: Int]) -> JSONTextObject {
        var object = JSONTextObject()
        for (algorithm, count) in counts { object.set(algorithm, integer: count) }
        return object
    }
}
