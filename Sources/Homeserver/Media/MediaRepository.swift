import Foundation
import Logging
import MatrixCore
import MatrixCrypto
import MediaImaging
import Metrics
import NIOCore
import Storage

/// Stored media ready to be served: where its bytes are and how to describe them.
public struct MediaContent: Sendable {
    public var sha256: String
    public var size: Int64
    public var contentType: String
    /// The name the uploader gave the file.
    public var uploadName: String?
}

/// An encoded thumbnail.
public struct ThumbnailContent: Sendable {
    public var bytes: [UInt8]
    public var contentType: String
}

/// The media repository: uploads (direct and asynchronous), downloads and thumbnails of
/// `mxc://` content, metadata in PostgreSQL and bytes in the shared file store.
public struct MediaRepository: Sendable {
    let store: MediaStore
    /// Where the bytes are.
    public let files: LocalMediaFiles
    let settings: MediaSettings
    /// This server's name: the origin of local media.
    public let serverName: ServerName
    let thumbnailer: ImageThumbnailer
    /// Where media of other servers comes from; `nil` serves local media only.
    let remote: RemoteMediaFetcher?
    let thumbnailWork = SingleFlight<String, ThumbnailContent>()
    /// Thumbnails made at once: each holds its source in memory and keeps a core busy.
    let thumbnailSlots = ConcurrencyLimit(ProcessInfo.processInfo.activeProcessorCount)
    let remoteWork = SingleFlight<String, MediaRecord>()
    let logger: Logger

    private static let bytesReceived = Counter(label: "trellis_media_received_bytes_total")
    private static let thumbnailsMade = Counter(label: "trellis_media_thumbnails_generated_total")
    /// How often a download checks whether a pending upload arrived (on any replica).
    private static let pendingPollInterval: Duration = .milliseconds(250)

    public init(store: MediaStore, files: LocalMediaFiles, settings: MediaSettings, serverName: ServerName,
                remote: RemoteMediaFetcher?, logger: Logger) {
        self.store = store
        self.files = files
        self.settings = settings
        self.serverName = serverName
        self.thumbnailer = ImageThumbnailer(maxPixels: settings.maxImagePixels)
        self.remote = remote
        self.logger = logger
    }

    /// The largest upload accepted, in bytes (`m.upload.size`).
    public var maxUploadBytes: Int { settings.maxUploadBytes }

    /// Stores an upload under a new media ID.
    public func upload<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks, contentType: String?, fileName: String?, by uploader: UserID
    ) async throws -> MXCURI where Chunks.Element == ByteBuffer {
        let uri = try await keep(try await files.stage(chunks, limit: settings.maxUploadBytes), contentType: contentType,
                                 fileName: fileName, uploader: uploader)
        if settings.thumbnailsOnUpload, contentType?.hasPrefix("image/") == true { makeThumbnails(of: uri) }
        return uri
    }

    /// Makes every configured thumbnail size of a new image in the background; one that fails
    /// is made (or refused) again on request.
    private func makeThumbnails(of uri: MXCURI) {
        Task { [self] in
            for size in settings.thumbnailSizes {
                _ = try? await thumbnail(origin: serverName, mediaID: String(uri.mediaID), width: size.width,
                                         height: size.height, method: size.method, animated: false,
                                         authenticated: true, waitMilliseconds: 0)
            }
        }
    }

    /// Stores bytes the server fetched itself (a URL preview's image) as new local media.
    public func store(_ bytes: [UInt8], contentType: String?, fileName: String?) async throws -> MXCURI {
        try await keep(try await files.stage(bytes), contentType: contentType, fileName: fileName, uploader: nil)
    }

    /// Keeps a staged file under a new media ID.
    private func keep(_ staged: StagedFile, contentType: String?, fileName: String?, uploader: UserID?) async throws -> MXCURI {
        let uri = try MXCURI(serverName: serverName, mediaID: Self.newMediaID())
        let now = unixMilliseconds()
        do {
            try await files.keep(staged)
            try await store.insert(MediaRecord(
                origin: serverName.description, mediaID: String(uri.mediaID), uploader: uploader?.description,
                createdAt: now, uploadedAt: now, unusedExpiresAt: nil,
                contentType: Self.contentType(contentType), uploadName: fileName, size: staged.size,
                sha256: staged.sha256, authenticated: settings.unauthenticatedMediaFrozen
            ))
        } catch {
            await files.discard(staged)
            throw error
        }
        Self.bytesReceived.increment(by: Int(staged.size))
        logger.info("media stored", metadata: ["media_id": "\(uri.mediaID)", "size": "\(staged.size)"])
        return uri
    }

    /// The header of an image held in memory; `nil` when it is no image Trellis reads.
    public func imageHeader(of bytes: [UInt8]) -> ImageHeader? {
        try? thumbnailer.header(of: bytes)
    }

    /// Reserves a media ID for an asynchronous upload (`POST /media/v1/create`); returns it
    /// and when the reservation lapses.
    public func reserve(for uploader: UserID) async throws -> (uri: MXCURI, expiresAt: Int64) {
        let uri = try MXCURI(serverName: serverName, mediaID: Self.newMediaID())
        let now = unixMilliseconds()
        let expiresAt = now + settings.pendingUploadLifetimeMilliseconds
        guard try await store.reserve(
            origin: serverName.description, mediaID: String(uri.mediaID), uploader: uploader.description, now: now,
            expiresAt: expiresAt, authenticated: settings.unauthenticatedMediaFrozen,
            limit: settings.maxPendingUploadsPerUser
        ) else {
            throw MatrixError(.limitExceeded, "Too many pending uploads; upload or let some expire first")
        }
        return (uri, expiresAt)
    }

    /// Uploads the content of a reserved media ID: only its reserver may, only once, and only
    /// before it lapses.
    public func upload<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks, to origin: ServerName, mediaID: String, contentType: String?, fileName: String?,
        by uploader: UserID
    ) async throws where Chunks.Element == ByteBuffer {
        guard origin == serverName, let reserved = try await store.media(origin: origin.description, mediaID: mediaID)
        else { throw MatrixError(.notFound, "No such media") }
        try Self.checkUploadable(reserved, by: uploader, now: unixMilliseconds())
        let staged = try await files.stage(chunks, limit: settings.maxUploadBytes)
        do {
            try await files.keep(staged)
            let content = StoredContent(contentType: Self.contentType(contentType), uploadName: fileName,
                                        size: staged.size, sha256: staged.sha256)
            let now = unixMilliseconds()
            guard let before = try await store.completeReservation(
                origin: origin.description, mediaID: mediaID, uploader: uploader.description, content: content, now: now
            ) else { throw MatrixError(.notFound, "No such media") }
            // A concurrent upload of the same ID may have won between the check and the update.
            try Self.checkUploadable(before, by: uploader, now: now)
        } catch {
            await files.discard(staged)
            throw error
        }
        Self.bytesReceived.increment(by: Int(staged.size))
    }

    /// The content of `mxc://origin/mediaID`. A pending upload is waited for up to
    /// `waitMilliseconds` (capped by the configuration), then `504 M_NOT_YET_UPLOADED`.
    /// `authenticated` tells whether the request came through the authenticated endpoints;
    /// media stored while unauthenticated access was frozen is `404` otherwise. Media of other
    /// servers is fetched from them once and cached, unless `allowRemote` is false.
    public func content(
        origin: ServerName, mediaID: String, authenticated: Bool, waitMilliseconds: Int64, allowRemote: Bool = true
    ) async throws -> MediaContent {
        // While unauthenticated media is frozen, the legacy endpoints serve only what is cached.
        let fetches = allowRemote && (authenticated || !settings.unauthenticatedMediaFrozen)
        let record = origin == serverName
            ? try await uploadedRecord(origin: origin, mediaID: mediaID, waitMilliseconds: waitMilliseconds)
            : try await remoteRecord(origin: origin, mediaID: mediaID, allowRemote: fetches)
        guard authenticated || !record.authenticated else {
            throw MatrixError(.notFound, "This media is only served through the authenticated media endpoints")
        }
        guard let sha256 = record.sha256, let size = record.size else { throw MatrixError(.notFound, "No such media") }
        return MediaContent(sha256: sha256, size: size, contentType: Self.contentType(record.contentType),
                            uploadName: record.uploadName)
    }

    /// A thumbnail of `mxc://origin/mediaID` in the configured size that best fits the request,
    /// made on first request and kept beside the content.
    public func thumbnail(
        origin: ServerName, mediaID: String, width: Int, height: Int, method: ThumbnailMethod, animated: Bool,
        authenticated: Bool, waitMilliseconds: Int64
    ) async throws -> ThumbnailContent {
        guard width > 0, height > 0 else { throw MatrixError(.invalidParam, "width and height must be positive") }
        let content = try await content(origin: origin, mediaID: mediaID, authenticated: authenticated,
                                        waitMilliseconds: waitMilliseconds)
        guard let size = settings.thumbnailSizes.bestFit(width: width, height: height, method: method) else {
            throw MatrixError(.notFound, "This server makes no thumbnails")
        }
        let shape = ThumbnailShape(width: size.width, height: size.height, crop: size.method == .crop,
                                   animated: animated)
        let name = "\(size.width)x\(size.height)-\(size.method.rawValue)\(animated ? "-animated" : "")"
        return try await thumbnailWork.run("\(content.sha256)/\(name)") { [self] in
            if let bytes = try await files.thumbnail(of: content.sha256, named: name),
               let format = ImageFormat(sniffing: bytes) {
                return ThumbnailContent(bytes: bytes, contentType: format.contentType)
            }
            let thumbnail = try await makeThumbnail(of: content, shape: shape)
            try await files.storeThumbnail(thumbnail.bytes, of: content.sha256, named: name)
            return ThumbnailContent(bytes: thumbnail.bytes, contentType: thumbnail.format.contentType)
        }
    }

    private func makeThumbnail(of content: MediaContent, shape: ThumbnailShape) async throws -> Thumbnail {
        guard content.contentType.hasPrefix("image/") else {
            throw MatrixError(.unknown, "Only images have thumbnails")
        }
        let files = files, thumbnailer = thumbnailer, maxBytes = settings.maxUploadBytes
        do {
            let thumbnail = try await thumbnailSlots.run {
                let bytes = try await files.content(content.sha256, limit: maxBytes)
                return try await BlockingWork.run { try thumbnailer.thumbnail(of: bytes, shape: shape) }
            }
            Self.thumbnailsMade.increment()
            return thumbnail
        } catch let error as ImagingError {
            logger.info("no thumbnail", metadata: ["sha256": "\(content.sha256)", "reason": "\(error)"])
            switch error {
            case .tooManyPixels: throw MatrixError(.tooLarge, "The image is too large to thumbnail")
            case .unsupportedFormat, .failed: throw MatrixError(.unknown, "Cannot make a thumbnail of this media")
            }
        }
    }

    /// The cached row of remote media, fetched from its origin on first use (one fetch per file
    /// however many requests ask at once).
    private func remoteRecord(origin: ServerName, mediaID: String, allowRemote: Bool) async throws -> MediaRecord {
        if let cached = try await store.media(origin: origin.description, mediaID: mediaID) {
            guard cached.quarantinedBy == nil else { throw MatrixError(.notFound, "No such media") }
            return cached
        }
        guard allowRemote, let remote else { throw MatrixError(.notFound, "No such media") }
        return try await remoteWork.run("\(origin)/\(mediaID)") { [self] in
            let file = try await remote.fetch(origin: origin, mediaID: mediaID, maxBytes: settings.maxUploadBytes)
            let staged = try await files.stage(file.bytes)
            let now = unixMilliseconds()
            let record = MediaRecord(
                origin: origin.description, mediaID: mediaID, uploader: nil, createdAt: now, uploadedAt: now,
                unusedExpiresAt: nil, contentType: Self.contentType(file.contentType), uploadName: file.fileName,
                size: staged.size, sha256: staged.sha256, authenticated: settings.unauthenticatedMediaFrozen
            )
            do {
                try await files.keep(staged)
                try await store.insert(record)
            } catch {
                await files.discard(staged)
                throw error
            }
            Self.bytesReceived.increment(by: Int(staged.size))
            logger.info("remote media cached", metadata: ["origin": "\(origin)", "media_id": "\(mediaID)",
                                                          "size": "\(staged.size)"])
            return record
        }
    }

    /// The uploaded row of local media, waiting for a pending upload until the deadline.
    private func uploadedRecord(origin: ServerName, mediaID: String, waitMilliseconds: Int64) async throws -> MediaRecord {
        let deadline = ContinuousClock.now + .milliseconds(min(max(waitMilliseconds, 0), settings.maxDownloadWaitMilliseconds))
        while true {
            guard let record = try await store.media(origin: origin.description, mediaID: mediaID),
                  record.quarantinedBy == nil,
                  record.uploadedAt != nil || (record.unusedExpiresAt ?? 0) > unixMilliseconds()
            else { throw MatrixError(.notFound, "No such media") }
            if record.uploadedAt != nil { return record }
            guard ContinuousClock.now + Self.pendingPollInterval <= deadline else {
                throw MatrixError(.notYetUploaded, "The media has not been uploaded yet")
            }
            try await Task.sleep(for: Self.pendingPollInterval)
        }
    }

    private static func checkUploadable(_ record: MediaRecord, by uploader: UserID, now: Int64) throws {
        guard record.uploadedAt == nil else {
            throw MatrixError(.cannotOverwriteMedia, "This media has already been uploaded")
        }
        guard record.uploader == uploader.description else {
            throw MatrixError(.forbidden, "Only the user who created this media ID may upload to it")
        }
        guard (record.unusedExpiresAt ?? 0) > now else { throw MatrixError(.notFound, "The media ID has expired") }
    }

    /// The stored media type; uploads that name none are `application/octet-stream`.
    private static func contentType(_ declared: String?) -> String {
        guard let declared, !declared.isEmpty else { return "application/octet-stream" }
        return declared
    }

    /// 24 random characters from `[A-Za-z0-9]`: 142 bits, unguessable.
    private static func newMediaID() -> String {
        SecureToken.alphanumeric(24)
    }
}
