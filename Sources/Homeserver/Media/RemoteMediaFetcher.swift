import FederationClient
import Foundation
import Logging
import MatrixAPI
import MatrixCore

/// Remote media larger than this server accepts: `502 M_TOO_LARGE`, as the spec answers a
/// download the server cannot fetch for its size.
public struct RemoteMediaTooLarge: Error, Sendable {
    public let limit: Int
}

/// A file fetched from the server it belongs to.
public struct RemoteFile: Sendable {
    public var bytes: [UInt8]
    public var contentType: String?
    public var fileName: String?
}

/// Fetches `mxc://` media of other servers: the authenticated federation media API first
/// (spec v1.11), the legacy unauthenticated download for servers that do not serve it.
public struct RemoteMediaFetcher: Sendable {
    let client: FederationHTTPClient
    let logger: Logger

    public init(client: FederationHTTPClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The file `mediaID` of `origin`, refused past `maxBytes`. `404 M_NOT_FOUND` when the origin
    /// does not have it or cannot be reached.
    func fetch(origin: ServerName, mediaID: String, maxBytes: Int) async throws -> RemoteFile {
        let escapedID = mediaID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? mediaID
        // The multipart envelope adds a few hundred bytes around the file.
        let limit = maxBytes + 64 * 1024
        do {
            let response = try await client.get(origin, "/_matrix/federation/v1/media/download/\(escapedID)",
                                                maxBytes: limit)
            if response.status == 200 { return try await file(fromMultipart: response, maxBytes: maxBytes) }
            guard Self.lacksFederationMedia(response) else {
                throw MatrixError(.notFound, "\(origin) does not have this media (status \(response.status))")
            }
            let legacy = try await client.get(
                origin, "/_matrix/media/v3/download/\(origin)/\(escapedID)?allow_remote=false&allow_redirect=true",
                signed: false, maxBytes: maxBytes
            )
            guard legacy.status == 200 else {
                throw MatrixError(.notFound, "\(origin) does not have this media (status \(legacy.status))")
            }
            return RemoteFile(bytes: legacy.body, contentType: legacy.headers["content-type"],
                              fileName: legacy.headers["content-disposition"].flatMap(Self.fileName(inDisposition:)))
        } catch let error as MatrixError {
            throw error
        } catch GuardedFetchError.tooLarge {
            throw RemoteMediaTooLarge(limit: maxBytes)
        } catch let error as RemoteMediaTooLarge {
            throw error
        } catch {
            logger.info("remote media fetch failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
            throw MatrixError(.notFound, "Could not fetch the media from \(origin)")
        }
    }

    /// The second part of a federation media response: the file, or where to fetch it.
    private func file(fromMultipart response: FederationResponse, maxBytes: Int) async throws -> RemoteFile {
        guard let boundary = response.headers["content-type"].flatMap(MultipartMixed.boundary(inContentType:)) else {
            throw MatrixError(.notFound, "The origin answered without a multipart body")
        }
        let parts = try MultipartMixed.parse(response.body, boundary: boundary)
        guard parts.count >= 2 else { throw MatrixError(.notFound, "The origin's answer has no file part") }
        let part = parts[1]
        if let location = part.header("Location") {
            guard let url = URL(string: location) else { throw MatrixError(.notFound, "The media's location is no URL") }
            let redirected = try await client.get(url: url, maxBytes: maxBytes)
            guard redirected.status == 200 else { throw MatrixError(.notFound, "The media's location did not answer") }
            return RemoteFile(bytes: redirected.body, contentType: redirected.headers["content-type"],
                              fileName: redirected.headers["content-disposition"].flatMap(Self.fileName(inDisposition:)))
        }
        guard part.body.count <= maxBytes else { throw RemoteMediaTooLarge(limit: maxBytes) }
        return RemoteFile(bytes: part.body, contentType: part.header("Content-Type"),
                          fileName: part.header("Content-Disposition").flatMap(Self.fileName(inDisposition:)))
    }

    /// Whether an error answer says the server does not serve the federation media endpoints
    /// (an older server), so the legacy download is worth trying.
    private static func lacksFederationMedia(_ response: FederationResponse) -> Bool {
        (response.status == 404 || response.status == 405 || response.status == 400) && response.errcode != "M_NOT_FOUND"
    }

    /// The file name of a `Content-Disposition` value: `filename*=utf-8''…` preferred, else `filename=`.
    static func fileName(inDisposition disposition: String) -> String? {
        var plain: String?
        for parameter in disposition.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "filename*":
                let value = pair[1]
                guard value.lowercased().hasPrefix("utf-8''") else { continue }
                if let decoded = value.dropFirst(7).removingPercentEncoding { return decoded }
            case "filename":
                plain = pair[1].count >= 2 && pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"")
                    ? String(pair[1].dropFirst().dropLast()) : pair[1]
            default:
                continue
            }
        }
        return plain
    }
}
