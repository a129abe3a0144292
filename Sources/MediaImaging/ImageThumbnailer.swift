internal import CVips

/// What an image's header says, read without decoding its pixels.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    /// The size of one frame.
    public var width: Int
    public var height: Int
    /// Frames of an animation; 1 for a still image.
    public var frameCount: Int

    public init(format: ImageFormat, width: Int, height: Int, frameCount: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.frameCount = frameCount
    }

    public var isAnimated: Bool { frameCount > 1 }
    /// The pixels a full decode produces, every frame counted.
    public var pixelCount: Int { width * height * frameCount }
}

/// A thumbnail's shape: `scale` fits the image inside the box, `crop` fills the box and cuts
/// the overflow around the centre (animations are scaled instead). Images are never enlarged.
public struct ThumbnailShape: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var crop: Bool
    /// Whether to keep every frame of an animated image; a still image gives a still thumbnail.
    public var animated: Bool

    public init(width: Int, height: Int, crop: Bool, animated: Bool) {
        self.width = width
        self.height = height
        self.crop = crop
        self.animated = animated
    }
}

/// An encoded thumbnail.
public struct Thumbnail: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    /// The height of one frame.
    public var height: Int
}

/// Why an image could not be thumbnailed.
public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a JPEG, PNG, WebP or GIF image.
    case unsupportedFormat
    /// Decoding would produce more pixels than the configured limit (a decompression bomb, or
    /// simply too large).
    case tooManyPixels(Int, limit: Int)
    /// libvips failed; its message.
    case failed(String)

    public var description: String {
        switch self {
        case .unsupportedFormat: "not a JPEG, PNG, WebP or GIF image"
        case .tooManyPixels(let count, let limit): "\(count) pixels, more than the limit of \(limit)"
        case .failed(let message): "libvips: \(message)"
        }
    }
}

/// Reads image headers and makes thumbnails with libvips.
///
/// Every call blocks its thread while libvips works: run them off the cooperative pool. Only
/// JPEG, PNG, WebP and GIF are decoded, libvips's untrusted loaders are blocked, and an image
/// whose header promises more than `maxPixels` is refused before any pixel is decoded.
public struct ImageThumbnailer: Sendable {
    public let maxPixels: Int

    public init(maxPixels: Int) {
        self.maxPixels = maxPixels
        VipsLibrary.initialize()
    }

    /// The header of the image in `bytes`.
    public func header(of bytes: [UInt8]) throws(ImagingError) -> ImageHeader {
        guard let loader = bytes.withUnsafeBytes({ vips_foreign_find_load_buffer($0.baseAddress, $0.count) }),
              let format = ImageFormat(loader: String(cString: loader))
        else {
            vips_error_clear()
            throw .unsupportedFormat
        }
        let image = bytes.withUnsafeBytes { trellis_vips_open($0.baseAddress, $0.count) }
        guard let image else { throw VipsLibrary.lastError() }
        defer { g_object_unref(image) }
        return ImageHeader(
            format: format,
            width: Int(vips_image_get_width(image)),
            height: Int(vips_image_get_page_height(image)),
            frameCount: Int(vips_image_get_n_pages(image))
        )
    }

    /// A thumbnail of the image in `bytes` in `shape`.
    public func thumbnail(of bytes: [UInt8], shape: ThumbnailShape) throws(ImagingError) -> Thumbnail {
        let header = try header(of: bytes)
        let animated = shape.animated && header.isAnimated
        let pixels = animated ? header.pixelCount : header.width * header.height
        guard pixels <= maxPixels else { throw .tooManyPixels(pixels, limit: maxPixels) }
        // libvips 8.14 crops only the first frame of an animation: animations are scaled to fit.
        let crop = shape.crop && !animated
        let image = bytes.withUnsafeBytes {
            trellis_vips_thumbnail($0.baseAddress, $0.count, Int32(shape.width), Int32(shape.height),
                                   crop ? 1 : 0, animated ? 1 : 0)
        }
        guard let image else { throw VipsLibrary.lastError() }
        defer { g_object_unref(image) }
        let format = header.format.thumbnailFormat(animated: animated)
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        guard trellis_vips_encode(image, format.encoderSuffix, &buffer, &length) == 0, let buffer else {
            throw VipsLibrary.lastError()
        }
        defer { g_free(buffer) }
        return Thumbnail(
            bytes: Array(UnsafeRawBufferPointer(start: buffer, count: length)),
            format: format,
            width: Int(vips_image_get_width(image)),
            height: Int(vips_image_get_page_height(image))
        )
    }
}

/// Process-wide libvips set-up, done once.
enum VipsLibrary {
    private static let initialized: Bool = {
        guard vips_init("trellis") == 0 else { return false }
        // Only loaders libvips marks as fuzzed and safe for untrusted input.
        vips_block_untrusted_set(1)
        // Each thumbnail runs on one thread; the caller runs several at once.
        vips_concurrency_set(1)
        // The operation cache would keep recent images in memory for nothing.
        vips_cache_set_max(0)
        // libvips 8.14 compiles vector code at run time with liborc, which crashed the media
        // worker (a null dereference inside liborc) when thumbnails ran on two threads at once.
        vips_vector_set_enabled(0)
        return true
    }()

    static func initialize() {
        precondition(initialized, "libvips failed to start: \(String(cString: vips_error_buffer()))")
    }

    /// libvips's message for the last failure, clearing it.
    static func lastError() -> ImagingError {
        let message = String(cString: vips_error_buffer())
        vips_error_clear()
        return .failed(message.isEmpty ? "unknown error" : message)
    }
}
