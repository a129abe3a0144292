import AsyncHTTPClient
import Logging
import MatrixCore
import MatrixCrypto
import NIOCore
import NIOHTTP1

/// A federation response with its body read (up to the caller's limit).
public struct FederationResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    /// The Matrix error code of an error body, if it has one.
    public var errcode: String? { (try? JSONValue(parsing: body))?["errcode"]?.stringValue }
}

/// Why a federation request failed before a response arrived.
public struct FederationRequestError: Error, CustomStringConvertible {
    public var destination: String
    public var reason: String
    public var description: String { "request to \(destination) failed: \(reason)" }
}

/// Sends server-server requests, signed with this server's key (`Authorization: X-Matrix`).
public struct FederationHTTPClient: Sendable {
    let serverName: String
    let signingKey: ServerSigningKey
    let resolver: FederationResolver
    let httpClient: HTTPClient
    let timeout: TimeAmount

    public init(serverName: String, signingKey: ServerSigningKey, resolver: FederationResolver,
                httpClient: HTTPClient = .shared, timeout: Duration) {
        self.serverName = serverName
        self.signingKey = signingKey
        self.resolver = resolver
        self.httpClient = httpClient
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000)
    }

    /// `GET` of `pathAndQuery` (as sent, percent-encoded) on `destination`; signed unless
    /// `signed` is false (the legacy media endpoints). A body over `maxBytes` fails the request.
    public func get(_ destination: ServerName, _ pathAndQuery: String, signed: Bool = true,
                    maxBytes: Int) async throws -> FederationResponse {
        let endpoint = await resolver.endpoint(for: destination)
        var request = HTTPClientRequest(url: endpoint.baseURL + pathAndQuery)
        request.method = .GET
        request.headers.replaceOrAdd(name: "Host", value: endpoint.hostHeader)
        if signed {
            let authorization = try XMatrixAuthorization.sign(
                method: "GET", uri: pathAndQuery, origin: serverName, destination: destination.description,
                keyID: signingKey.keyID, key: signingKey.key
            )
            request.headers.add(name: "Authorization", value: authorization.headerValue)
        }
        return try await fetch(request, url: endpoint.baseURL + pathAndQuery, from: destination.description,
                               maxBytes: maxBytes)
    }

    /// An unsigned `GET` of an absolute URL (where a `Location` part points).
    public func get(url: String, maxBytes: Int) async throws -> FederationResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        return try await fetch(request, url: url, from: url, maxBytes: maxBytes)
    }

    private func fetch(_ request: HTTPClientRequest, url: String, from destination: String,
                       maxBytes: Int) async throws -> FederationResponse {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeout)
        } catch {
            throw FederationRequestError(destination: destination, reason: "\(error)")
        }
        let body = try await response.body.collect(upTo: maxBytes)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return FederationResponse(status: Int(response.status.code), headers: headers,
                                  body: Array(body.readableBytesView))
    }
}
