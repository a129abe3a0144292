/// How a thumbnail is fitted to its size: `scale` fits the image inside it, `crop` fills it and
/// cuts off what overflows.
public enum ThumbnailMethod: String, Sendable, Hashable, Codable {
    case crop, scale
}

/// One of the thumbnail sizes the server makes.
public struct ThumbnailSize: Sendable, Hashable, Codable {
    public var width: Int
    public var height: Int
    public var method: ThumbnailMethod

    public init(width: Int, height: Int, method: ThumbnailMethod) {
        self.width = width
        self.height = height
        self.method = method
    }
}

/// The media repository's limits and choices (the `media` section of the configuration).
public struct MediaSettings: Sendable {
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes: Int
    /// Images whose decoded frames hold more pixels than this are not thumbnailed.
    public var maxImagePixels: Int
    /// The sizes thumbnails are made in; a request gets the best fit among them.
    public var thumbnailSizes: [ThumbnailSize]
    /// How long an ID reserved by `POST /media/v1/create` waits for its upload.
    public var pendingUploadLifetimeMilliseconds: Int64
    /// Reserved IDs a user may hold at once before `create` answers `M_LIMIT_EXCEEDED`.
    public var maxPendingUploadsPerUser: Int
    /// Whether media stored from now on is served only through the authenticated endpoints
    /// (spec v1.11's freeze of unauthenticated media).
    public var unauthenticatedMediaFrozen: Bool
    /// The longest a download waits for a pending upload, whatever its `timeout_ms` asks.
    public var maxDownloadWaitMilliseconds: Int64
    /// Whether every thumbnail size of an uploaded image is made right after the upload,
    /// instead of on first request.
    public var thumbnailsOnUpload: Bool

    public init(maxUploadBytes: Int, maxImagePixels: Int, thumbnailSizes: [ThumbnailSize],
                pendingUploadLifetimeMilliseconds: Int64, maxPendingUploadsPerUser: Int,
                unauthenticatedMediaFrozen: Bool, maxDownloadWaitMilliseconds: Int64, thumbnailsOnUpload: Bool) {
        self.maxUploadBytes = maxUploadBytes
        self.maxImagePixels = maxImagePixels
        self.thumbnailSizes = thumbnailSizes
        self.pendingUploadLifetimeMilliseconds = pendingUploadLifetimeMilliseconds
        self.maxPendingUploadsPerUser = maxPendingUploadsPerUser
        self.unauthenticatedMediaFrozen = unauthenticatedMediaFrozen
        self.maxDownloadWaitMilliseconds = maxDownloadWaitMilliseconds
        self.thumbnailsOnUpload = thumbnailsOnUpload
    }
}

extension [ThumbnailSize] {
    /// The configured size that best serves a request for `width` × `height` by `method`:
    /// among the sizes of that method (all sizes if none has it), the smallest that covers the
    /// request in both dimensions, else the largest. `nil` only when no size is configured.
    public func bestFit(width: Int, height: Int, method: ThumbnailMethod) -> ThumbnailSize? {
        let sameMethod = filter { $0.method == method }
        let candidates = (sameMethod.isEmpty ? self : sameMethod).sorted { $0.width * $0.height < $1.width * $1.height }
        return candidates.first { $0.width >= width && $0.height >= height } ?? candidates.last
    }
}
