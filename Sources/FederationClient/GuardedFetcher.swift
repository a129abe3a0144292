import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A resource fetched from an untrusted URL.
public struct FetchedResource: Sendable {
    /// The URL after redirects.
    public var url: URL
    public var contentType: String?
    public var body: [UInt8]
}

/// Why an untrusted URL was not fetched.
public enum GuardedFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL
    /// The host resolves to an address in a denied range (private, loopback, link-local, …).
    case deniedAddress(String)
    case unresolvable(String)
    case tooLarge(limit: Int)
    case tooManyRedirects
    case status(Int)

    public var description: String {
        switch self {
        case .invalidURL: "not an http(s) URL"
        case .deniedAddress(let address): "address \(address) is in a denied range"
        case .unresolvable(let host): "cannot resolve \(host)"
        case .tooLarge(let limit): "larger than \(limit) bytes"
        case .tooManyRedirects: "too many redirects"
        case .status(let status): "status \(status)"
        }
    }
}

/// Fetches URLs that users name (URL previews) without letting them reach the server's own
/// network: every host, the first and each redirect's, is resolved here and refused when any
/// of its addresses is in a denied range and not in an allowed one; the connection then goes
/// to exactly the address that was checked, so a second DNS answer cannot slip past. Bodies
/// and time are limited.
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

    public func get(_ url: URL) async throws -> FetchedResource {
        var url = url
        for _ in 0...Self.maxRedirects {
            guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host,
                  !host.isEmpty
            else { throw GuardedFetchError.invalidURL }
            let address = try await checkedAddress(of: host)
            let response = try await fetchOnce(url, host: host, address: address)
            if let location = response.location {
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL else { throw GuardedFetchError.invalidURL }
                url = next
                continue
            }
            return FetchedResource(url: url, contentType: response.contentType, body: response.body)
        }
        throw GuardedFetchError.tooManyRedirects
    }

    /// Whether `address` may be connected to.
    public func permits(_ address: [UInt8]) -> Bool {
        allowedRanges.contains { $0.contains(address) } || !deniedRanges.contains { $0.contains(address) }
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

    private struct SingleResponse {
        var location: String?
        var contentType: String?
        var body: [UInt8]
    }

    /// One request, redirects not followed, connecting to `address` for `host`.
    private func fetchOnce(_ url: URL, host: String, address: String) async throws -> SingleResponse {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.dnsOverride = [host: address]
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(Int64(timeout.components.seconds)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "User-Agent", value: "Trellis URL preview")
            request.headers.add(name: "Accept", value: "text/html, image/*;q=0.9, */*;q=0.5")
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            let result: SingleResponse
            if (300..<400).contains(Int(response.status.code)), let location = response.headers.first(name: "Location") {
                result = SingleResponse(location: location, contentType: nil, body: [])
            } else {
                guard response.status == .ok else { throw GuardedFetchError.status(Int(response.status.code)) }
                let body: ByteBuffer
                do {
                    body = try await response.body.collect(upTo: maxBytes)
                } catch is NIOTooManyBytesError {
                    throw GuardedFetchError.tooLarge(limit: maxBytes)
                }
                result = SingleResponse(location: nil, contentType: response.headers.first(name: "Content-Type"),
                                        body: Array(body.readableBytesView))
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
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
