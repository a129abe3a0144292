/// The image formats Trellis makes thumbnails of, and makes them in.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif

    /// The media type of the format, e.g. `image/png`.
    public var contentType: String { "image/\(rawValue)" }

    /// The format a libvips buffer loader reads, by the loader's type name; `nil` for every
    /// other loader, so SVG, PDF, TIFF, HEIF and the rest are never decoded.
    init?(loader: String) {
        let formats: [String: ImageFormat] = [
            "VipsForeignLoadJpegBuffer": .jpeg, "VipsForeignLoadPngBuffer": .png,
            "VipsForeignLoadWebpBuffer": .webp, "VipsForeignLoadNsgifBuffer": .gif, "VipsForeignLoadGifBuffer": .gif,
        ]
        guard let format = formats[loader] else { return nil }
        self = format
    }

    /// The libvips save suffix: metadata (EXIF with its GPS position, say) is stripped.
    var encoderSuffix: String {
        switch self {
        case .jpeg: ".jpg[Q=80,strip]"
        case .png: ".png[strip]"
        case .webp: ".webp[Q=80,strip]"
        case .gif: ".gif[strip]"
        }
    }

    /// The format of a thumbnail of an image in this format: animations stay in their format,
    /// JPEG stays JPEG, and everything else becomes PNG to keep its transparency.
    func thumbnailFormat(animated: Bool) -> ImageFormat {
        if animated { return self }
        return self == .jpeg ? .jpeg : .png
    }
}

extension ImageFormat {
    /// The format of encoded image bytes, told by their signature.
    public init?(sniffing bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + signature.count && Array(head[offset..<offset + signature.count]) == signature
        }
        if starts([0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if starts(Array("GIF8".utf8)) {
            self = .gif
        } else if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) {
            self = .webp
        } else {
            return nil
        }
    }
}
