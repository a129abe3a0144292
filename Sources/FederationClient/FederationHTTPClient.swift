import Foundation
import Logging
import MatrixCore
import MatrixCrypto

/// A federation response with its body read (up to the caller's limit).
public struct FederationResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    /// The Matrix error code of an error body, if it has one.
    public var errcode: String? { (try? JSONValue(parsing: body))?["errcode"]?.stringValue }
}

/// Sends server-server requests, signed with this server's key (`Authorization: X-Matrix`).
///
/// Destinations are named by others (the server of an `mxc://` URI, the origin of a signed
/// request), so every request goes through a ``GuardedFetcher``: no addresses in the denied
/// ranges, redirects not followed (only a `Location` the caller chooses to fetch, checked the
/// same way), total time limited. Destinations the operator pinned with an override are trusted.
public struct FederationHTTPClient: Sendable {
    let serverName: String
    let signingKey: ServerSigningKey
    let resolver: FederationResolver
    /// For destinations found by resolution.
    let guarded: GuardedFetcher
    /// For destinations the operator configured: the same limits, no address checks.
    let trusted: GuardedFetcher

    public init(serverName: String, signingKey: ServerSigningKey, resolver: FederationResolver, guarded: GuardedFetcher) {
        self.serverName = serverName
        self.signingKey = signingKey
        self.resolver = resolver
        self.guarded = guarded
        self.trusted = GuardedFetcher(deniedRanges: [], allowedRanges: [], maxBytes: guarded.maxBytes,
                                      timeout: guarded.timeout, logger: guarded.logger)
    }

    /// `GET` of `pathAndQuery` (as sent, percent-encoded) on `destination`; signed unless
    /// `signed` is false (the legacy media endpoints). A body over `maxBytes` fails the request.
    public func get(_ destination: ServerName, _ pathAndQuery: String, signed: Bool = true,
                    maxBytes: Int) async throws -> FederationResponse {
        let endpoint = await resolver.endpoint(for: destination)
        guard let url = URL(string: endpoint.baseURL + pathAndQuery) else { throw GuardedFetchError.invalidURL }
        var headers: [(String, String)] = []
        if signed {
            let authorization = try XMatrixAuthorization.sign(
                method: "GET", uri: pathAndQuery, origin: serverName, destination: destination.description,
                keyID: signingKey.keyID, key: signingKey.key
            )
            headers.append(("Authorization", authorization.headerValue))
        }
        let fetcher = endpoint.isOverride ? trusted : guarded
        let response = try await fetcher.fetch(url, headers: headers, followRedirects: false, maxBytes: maxBytes)
        return FederationResponse(status: response.status, headers: response.headers, body: response.body)
    }

    /// An unsigned `GET` of an absolute URL another server pointed to (a `Location` part),
    /// redirects followed, every host checked.
    public func get(url: URL, maxBytes: Int) async throws -> FederationResponse {
        let response = try await guarded.fetch(url, maxBytes: maxBytes)
        return FederationResponse(status: response.status, headers: response.headers, body: response.body)
    }
}
