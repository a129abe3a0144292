import Foundation
import Logging
import MatrixCore

/// Where a server's federation API is reached.
public struct FederationEndpoint: Sendable, Equatable {
    public var baseURL: String
    /// Whether the operator configured this endpoint (a destination override).
    public var isOverride: Bool

    public init(baseURL: String, isOverride: Bool) {
        self.baseURL = baseURL
        self.isOverride = isOverride
    }
}

/// Resolves server names to federation endpoints (spec: "Resolving server names").
///
/// An IP literal or a name with an explicit port is connected to directly; otherwise
/// `/.well-known/matrix/server` may delegate to another host and port; the fallback is the
/// name on port 8448. SRV records are not consulted yet. `overrides` maps server names to
/// base URLs (plain HTTP included) for tests and private deployments. Results are cached for
/// an hour; the well-known document is fetched through the ``GuardedFetcher``.
public actor FederationResolver {
    let overrides: [String: String]
    let fetcher: GuardedFetcher
    let logger: Logger
    private var cache: [String: (endpoint: FederationEndpoint, expires: ContinuousClock.Instant)] = [:]
    static let cacheLifetime: Duration = .seconds(3600)
    /// Entries kept before expired ones are swept.
    static let cacheSweepSize = 10_000
    static let defaultPort = 8448

    public init(overrides: [String: String], fetcher: GuardedFetcher, logger: Logger) {
        self.overrides = overrides
        self.fetcher = fetcher
        self.logger = logger
    }

    public func endpoint(for server: ServerName) async -> FederationEndpoint {
        if let override = overrides[server.description] {
            return FederationEndpoint(baseURL: override.hasSuffix("/") ? String(override.dropLast()) : override,
                                      isOverride: true)
        }
        if let cached = cache[server.description], cached.expires > .now { return cached.endpoint }
        let endpoint = await resolve(server)
        if cache.count >= Self.cacheSweepSize {
            let now = ContinuousClock.now
            cache = cache.filter { $0.value.expires > now }
        }
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
        return FederationEndpoint(baseURL: "https://\(server.host):\(port)", isOverride: false)
    }

    private static func isIPLiteral(_ host: Substring) -> Bool {
        let bare = host.hasPrefix("[") ? host.dropFirst().dropLast() : host
        return IPRange.parseAddress(String(bare)) != nil
    }

    /// The server name `/.well-known/matrix/server` delegates to, if it answers one.
    private func wellKnownDelegation(of server: ServerName) async -> ServerName? {
        do {
            guard let url = URL(string: "https://\(server.host)/.well-known/matrix/server") else { return nil }
            let response = try await fetcher.get(url)
            guard let delegated = try JSONValue(parsing: response.body)["m.server"]?.stringValue else { return nil }
            return try ServerName(parsing: delegated)
        } catch {
            logger.debug("no well-known delegation", metadata: ["server": "\(server)", "error": "\(error)"])
            return nil
        }
    }
}
