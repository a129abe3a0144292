import AsyncHTTPClient
import Foundation
import Logging
import MatrixCore
import NIOCore

/// Where a server's federation API is reached: the base URL to connect to and the server name
/// the TLS certificate and `Host` header must carry.
public struct FederationEndpoint: Sendable, Equatable {
    public var baseURL: String
    public var hostHeader: String

    public init(baseURL: String, hostHeader: String) {
        self.baseURL = baseURL
        self.hostHeader = hostHeader
    }
}

/// Resolves server names to federation endpoints (spec: "Resolving server names").
///
/// An IP literal or a name with an explicit port is connected to directly; otherwise
/// `/.well-known/matrix/server` may delegate to another host and port; the fallback is the
/// name on port 8448. SRV records are not consulted yet. `overrides` maps server names to
/// base URLs (plain HTTP included) for tests and private deployments. Results are cached for
/// an hour.
public actor FederationResolver {
    let overrides: [String: String]
    let httpClient: HTTPClient
    let logger: Logger
    private var cache: [String: (endpoint: FederationEndpoint, expires: ContinuousClock.Instant)] = [:]
    static let cacheLifetime: Duration = .seconds(3600)
    static let wellKnownTimeout: TimeAmount = .seconds(10)
    static let defaultPort = 8448

    public init(overrides: [String: String], httpClient: HTTPClient = .shared, logger: Logger) {
        self.overrides = overrides
        self.httpClient = httpClient
        self.logger = logger
    }

    public func endpoint(for server: ServerName) async -> FederationEndpoint {
        if let override = overrides[server.description] {
            return FederationEndpoint(baseURL: override.hasSuffix("/") ? String(override.dropLast()) : override,
                                      hostHeader: server.description)
        }
        if let cached = cache[server.description], cached.expires > .now { return cached.endpoint }
        let endpoint = await resolve(server)
        cache[server.description] = (endpoint, .now + Self.cacheLifetime)
        return endpoint
    }

    private func resolve(_ server: ServerName) async -> FederationEndpoint {
        if server.port != nil || Self.isIPLiteral(server.host) { return Self.direct(server) }
        guard let delegated = await wellKnownDelegation(of: server) else { return Self.direct(server) }
        return Self.direct(delegated)
    }

    /// `https://host:port`, with port 8448 when the name has none.
    private static func direct(_ server: ServerName) -> FederationEndpoint {
        let port = server.port.map(Int.init) ?? defaultPort
        return FederationEndpoint(baseURL: "https://\(server.host):\(port)", hostHeader: server.description)
    }

    private static func isIPLiteral(_ host: Substring) -> Bool {
        host.hasPrefix("[") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }

    /// The server name `/.well-known/matrix/server` delegates to, if it answers one.
    private func wellKnownDelegation(of server: ServerName) async -> ServerName? {
        do {
            var request = HTTPClientRequest(url: "https://\(server.host)/.well-known/matrix/server")
            request.method = .GET
            let response = try await httpClient.execute(request, timeout: Self.wellKnownTimeout)
            guard response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: 64 * 1024)
            guard let delegated = try JSONValue(parsing: Array(body.readableBytesView))["m.server"]?.stringValue else {
                return nil
            }
            return try ServerName(parsing: delegated)
        } catch {
            logger.debug("no well-known delegation", metadata: ["server": "\(server)", "error": "\(error)"])
            return nil
        }
    }
}
