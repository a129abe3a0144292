import FederationClient
import Foundation
import Logging
import MatrixCore

/// URL previews (`GET /media/preview_url`): the Open Graph data of a page, its image stored as
/// local media so clients load it from the homeserver. Pages are fetched with
/// ``GuardedFetcher`` (no private, loopback or link-local addresses unless allowed, limited in
/// size and time) and previews are kept for an hour per process.
public struct URLPreviewService: Sendable {
    let fetcher: GuardedFetcher
    let repository: MediaRepository
    let logger: Logger
    let cache = PreviewCache()
    let previewWork = SingleFlight<String, JSONObject>()
    /// The longest text kept of one property (a page can put megabytes into a description).
    static let maxValueLength = 1000

    public init(fetcher: GuardedFetcher, repository: MediaRepository, logger: Logger) {
        self.fetcher = fetcher
        self.repository = repository
        self.logger = logger
    }

    /// The preview of `urlText`.
    public func preview(of urlText: String) async throws -> JSONObject {
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false
        else { throw MatrixError(.invalidParam, "Only http and https URLs can be previewed") }
        if let cached = await cache.preview(of: url.absoluteString) { return cached }
        // Users of a room often ask for the same link at once: one fetch and one stored image.
        return try await previewWork.run(url.absoluteString) { [self] in
            let preview = try await makePreview(of: url)
            await cache.remember(preview, for: url.absoluteString)
            return preview
        }
    }

    /// Fetches the page (and its `og:image`) and builds its preview.
    private func makePreview(of url: URL) async throws -> JSONObject {
        let page = try await fetch(url)
        var preview: JSONObject = [:]
        let pageType = page.headers["content-type"]?.lowercased()
        if let type = pageType, type.hasPrefix("image/") {
            preview = try await imageProperties(page, fileName: url.lastPathComponent)
        } else if pageType?.hasPrefix("text/html") ?? true {
            let properties = OpenGraph.properties(ofHTML: page.body)
            for (key, value) in properties where key != "og:image" {
                preview[key] = .string(String(value.prefix(Self.maxValueLength)))
            }
            if let image = properties["og:image"], let imageURL = URL(string: image, relativeTo: page.url)?.absoluteURL,
               let fetched = try? await fetch(imageURL),
               fetched.headers["content-type"]?.lowercased().hasPrefix("image/") == true {
                for (key, value) in try await imageProperties(fetched, fileName: imageURL.lastPathComponent) {
                    preview[key] = value
                }
            }
        }
        return preview
    }

    private func fetch(_ url: URL) async throws -> GuardedResponse {
        do {
            return try await fetcher.get(url)
        } catch let error as GuardedFetchError {
            logger.info("no URL preview", metadata: ["url": "\(url)", "reason": "\(error)"])
            if case .deniedAddress = error { throw MatrixError(.forbidden, "This URL cannot be previewed") }
            throw MatrixError(.unknown, "Could not fetch the URL to preview: \(error)")
        }
    }

    /// Stores an image and describes it: `og:image` (its `mxc://` URI), type, size and dimensions.
    private func imageProperties(_ image: GuardedResponse, fileName: String) async throws -> JSONObject {
        let contentType = image.headers["content-type"]
        let uri = try await repository.store(image.body, contentType: contentType,
                                             fileName: fileName.isEmpty ? nil : fileName)
        var properties: JSONObject = [
            "og:image": .string(uri.description), "matrix:image:size": .integer(Int64(image.body.count)),
        ]
        if let contentType { properties["og:image:type"] = .string(contentType) }
        if let header = repository.imageHeader(of: image.body) {
            properties["og:image:width"] = .integer(Int64(header.width))
            properties["og:image:height"] = .integer(Int64(header.height))
        }
        return properties
    }
}

/// Recent previews by URL, for an hour, at most ``capacity`` of them.
actor PreviewCache {
    static let lifetime: Duration = .seconds(3600)
    static let capacity = 10_000
    private var entries: [String: (preview: JSONObject, expires: ContinuousClock.Instant)] = [:]

    func preview(of url: String) -> JSONObject? {
        guard let entry = entries[url], entry.expires > .now else { return nil }
        return entry.preview
    }

    func remember(_ preview: JSONObject, for url: String) {
        if entries.count >= Self.capacity {
            let now = ContinuousClock.now
            entries = entries.filter { $0.value.expires > now }
            if entries.count >= Self.capacity { entries.removeAll() }
        }
        entries[url] = (preview, .now + Self.lifetime)
    }
}
