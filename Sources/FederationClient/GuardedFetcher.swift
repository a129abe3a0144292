import AsyncHTTPClient
import Foundation
import Logging
import MatrixCore
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A response from a host that passed the address checks.
public struct GuardedResponse: Sendable {
    /// The URL after the redirects followed.
    public var url: URL
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
}

/// Why a URL was not fetched.
public enum GuardedFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL
    /// The host resolves to an address in a denied range (private, loopback, link-local, …).
    case deniedAddress(String)
    case unresolvable(String)
    case tooLarge(limit: Int)
    case tooManyRedirects
    case timedOut
    case status(Int)

    public var description: String {
        switch self {
        case .invalidURL: "not an http(s) URL"
        case .deniedAddress(let address): "address \(address) is in a denied range"
        case .unresolvable(let host): "cannot resolve \(host)"
        case .tooLarge(let limit): "larger than \(limit) bytes"
        case .tooManyRedirects: "too many redirects"
        case .timedOut: "timed out"
        case .status(let status): "status \(status)"
        }
    }
}

/// Fetches URLs whose host someone else chose (a page a user posted, a server name in an
/// `mxc://` URI, a redirect) without letting them reach the server's own network: every host,
/// the first and each redirect's, is resolved here and refused when any of its addresses is in
/// a denied range and not in an allowed one; the connection then goes to exactly the address
/// that was checked, so a second DNS answer cannot slip past. Only http and https, bodies and
/// total time (headers and body) limited.
public struct GuardedFetcher: Sendable {
    public let deniedRanges: [IPRange]
    public let allowedRanges: [IPRange]
    public let maxBytes: Int
    public let timeout: Duration
    let logger: Logger
    static let maxRedirects = 5

    public init(deniedRanges: [IPRange], allowedRanges: [IPRange], maxBytes: Int, timeout: Duration, logger: Logger) {
        self.deniedRanges = deniedRanges
        self.allowedRanges = allowedRanges
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.logger = logger
    }

    /// The `200` answer for `url`, redirects followed; anything else throws.
    public func get(_ url: URL) async throws -> GuardedResponse {
        let response = try await fetch(url)
        guard response.status == 200 else { throw GuardedFetchError.status(response.status) }
        return response
    }

    /// A `GET` of `url` with extra `headers`, following redirects when asked (each one checked),
    /// with a body of at most `maxBytes` (the fetcher's limit when `nil`). The answer may have
    /// any status.
    public func fetch(_ url: URL, headers: [(String, String)] = [], followRedirects: Bool = true,
                      maxBytes: Int? = nil) async throws -> GuardedResponse {
        let limit = maxBytes ?? self.maxBytes
        return try await withDeadline(timeout, orThrow: { GuardedFetchError.timedOut }) {
            var url = url
            for _ in 0...Self.maxRedirects {
                let response = try await fetchOnce(url, headers: headers, maxBytes: limit)
                guard followRedirects, (300..<400).contains(response.status), let location = response.headers["location"]
                else { return response }
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw GuardedFetchError.invalidURL
                }
                url = next
            }
            throw GuardedFetchError.tooManyRedirects
        }
    }

    /// Whether `address` may be connected to.
    public func permits(_ address: [UInt8]) -> Bool {
        allowedRanges.contains { $0.contains(address) } || !deniedRanges.contains { $0.contains(address) }
    }

    /// One request, redirects not followed, to the checked address of the URL's host.
    private func fetchOnce(_ url: URL, headers: [(String, String)], maxBytes: Int) async throws -> GuardedResponse {
        guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host,
              !host.isEmpty
        else { throw GuardedFetchError.invalidURL }
        let address = try await checkedAddress(of: host)
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.dnsOverride = [host: address]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout.components.seconds) + 1))
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: maxBytes)
            } catch is NIOTooManyBytesError {
                throw GuardedFetchError.tooLarge(limit: maxBytes)
            }
            var fields: [String: String] = [:]
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            try await client.shutdown()
            return GuardedResponse(url: url, status: Int(response.status.code), headers: fields,
                                   body: Array(body.readableBytesView))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// One address of `host` to connect to, after checking all of them.
    private func checkedAddress(of host: String) async throws -> String {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = try await Self.resolve(bare)
        guard let first = addresses.first else { throw GuardedFetchError.unresolvable(host) }
        if let denied = addresses.first(where: { !permits($0) }) {
            throw GuardedFetchError.deniedAddress(IPRange.format(denied))
        }
        return IPRange.format(first)
    }

    /// Every address `host` resolves to (`getaddrinfo`, on a Dispatch thread: it blocks).
    static func resolve(_ host: String) async throws -> [[UInt8]] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &list) == 0 else {
                    continuation.resume(throwing: GuardedFetchError.unresolvable(host))
                    return
                }
                defer { freeaddrinfo(list) }
                var addresses: [[UInt8]] = []
                var entry = list
                while let info = entry?.pointee {
                    if info.ai_family == AF_INET, let address = info.ai_addr {
                        var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                        addresses.append(withUnsafeBytes(of: &v4) { Array($0) })
                    } else if info.ai_family == AF_INET6, let address = info.ai_addr {
                        var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                        addresses.append(withUnsafeBytes(of: &v6) { Array($0) })
                    }
                    entry = info.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }
}
