import Foundation
import MediaImaging
import Testing

/// An image from `Tests/Fixtures/media`.
func fixture(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/media/\(name)")
    return Array(try Data(contentsOf: url))
}

@Suite("Image headers and thumbnails (libvips)")
struct ImageThumbnailerTests {
    let thumbnailer = ImageThumbnailer(maxPixels: 32_000_000)

    @Test("headers tell format, frame size and frame count without decoding")
    func headers() throws {
        let expected: [(String, ImageFormat, Int, Int, Int)] = [
            ("landscape.jpg", .jpeg, 1024, 768, 1), ("transparent.png", .png, 400, 300, 1),
            ("square.webp", .webp, 640, 640, 1), ("animated.gif", .gif, 200, 150, 3),
        ]
        for (name, format, width, height, frames) in expected {
            let header = try thumbnailer.header(of: try fixture(name))
            #expect(header == ImageHeader(format: format, width: width, height: height, frameCount: frames), "\(name)")
        }
    }

    @Test("scale fits inside the box keeping the aspect ratio; crop fills it exactly")
    func scaleAndCrop() throws {
        let photo = try fixture("landscape.jpg")
        let scaled = try thumbnailer.thumbnail(of: photo, shape: ThumbnailShape(width: 320, height: 320, crop: false, animated: false))
        #expect((scaled.width, scaled.height) == (320, 240))
        #expect(scaled.format == .jpeg)
        #expect(try thumbnailer.header(of: scaled.bytes) == ImageHeader(format: .jpeg, width: 320, height: 240, frameCount: 1))
        #expect(scaled.bytes.count < photo.count)

        let cropped = try thumbnailer.thumbnail(of: photo, shape: ThumbnailShape(width: 96, height: 96, crop: true, animated: false))
        #expect(try thumbnailer.header(of: cropped.bytes) == ImageHeader(format: .jpeg, width: 96, height: 96, frameCount: 1))
    }

    @Test("images are never enlarged")
    func neverEnlarged() throws {
        let thumbnail = try thumbnailer.thumbnail(
            of: try fixture("transparent.png"), shape: ThumbnailShape(width: 800, height: 600, crop: false, animated: false)
        )
        #expect((thumbnail.width, thumbnail.height) == (400, 300))
    }

    @Test("PNG and WebP thumbnails are PNG, keeping transparency; JPEG stays JPEG")
    func formats() throws {
        let shape = ThumbnailShape(width: 96, height: 96, crop: true, animated: false)
        let png = try thumbnailer.thumbnail(of: try fixture("transparent.png"), shape: shape)
        #expect(png.format == .png && ImageFormat(sniffing: png.bytes) == .png)
        let webp = try thumbnailer.thumbnail(of: try fixture("square.webp"), shape: shape)
        #expect(webp.format == .png && ImageFormat(sniffing: webp.bytes) == .png)
    }

    @Test("animated GIFs give animated thumbnails only when asked; an animation is scaled, not cropped")
    func animation() throws {
        let gif = try fixture("animated.gif")
        let animated = try thumbnailer.thumbnail(of: gif, shape: ThumbnailShape(width: 96, height: 96, crop: true, animated: true))
        #expect(animated.format == .gif)
        #expect(try thumbnailer.header(of: animated.bytes) == ImageHeader(format: .gif, width: 96, height: 72, frameCount: 3))
        let still = try thumbnailer.thumbnail(of: gif, shape: ThumbnailShape(width: 96, height: 96, crop: true, animated: false))
        #expect(still.format == .png)
        #expect(try thumbnailer.header(of: still.bytes).frameCount == 1)
    }

    @Test("anything but JPEG, PNG, WebP and GIF is refused, SVG included")
    func unsupported() throws {
        let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#.utf8)
        for bytes in [svg, Array("plain text".utf8), []] {
            #expect(throws: ImagingError.unsupportedFormat) { try thumbnailer.header(of: bytes) }
        }
    }

    @Test("a decompression bomb is refused from its header, before any pixel is decoded")
    func pixelLimit() throws {
        let bomb = pngHeader(width: 60_000, height: 60_000)
        #expect(try thumbnailer.header(of: bomb).pixelCount == 3_600_000_000)
        #expect(throws: ImagingError.tooManyPixels(3_600_000_000, limit: 32_000_000)) {
            try thumbnailer.thumbnail(of: bomb, shape: ThumbnailShape(width: 32, height: 32, crop: true, animated: false))
        }
        let small = ImageThumbnailer(maxPixels: 1000)
        #expect(throws: ImagingError.tooManyPixels(1024 * 768, limit: 1000)) {
            try small.thumbnail(of: try fixture("landscape.jpg"),
                                shape: ThumbnailShape(width: 32, height: 32, crop: true, animated: false))
        }
    }

    @Test("a corrupt image fails with libvips's message instead of crashing")
    func corrupt() throws {
        let garbage = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: UInt8(0x41), count: 600)
        #expect(throws: ImagingError.self) {
            try thumbnailer.thumbnail(of: garbage, shape: ThumbnailShape(width: 96, height: 96, crop: true, animated: false))
        }
    }

    /// The signature and `IHDR` chunk of an 8-bit RGB PNG of the given size, then an `IDAT` of no
    /// pixels and `IEND`: a header that promises an image without carrying it.
    func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
        }
        let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }

    /// CRC-32 as PNG chunks use it (ISO 3309, reflected, polynomial 0xEDB88320).
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

@Suite("Image format signatures")
struct ImageFormatTests {
    @Test("each fixture's signature names its format")
    func sniffing() throws {
        #expect(ImageFormat(sniffing: try fixture("landscape.jpg")) == .jpeg)
        #expect(ImageFormat(sniffing: try fixture("transparent.png")) == .png)
        #expect(ImageFormat(sniffing: try fixture("square.webp")) == .webp)
        #expect(ImageFormat(sniffing: try fixture("animated.gif")) == .gif)
        #expect(ImageFormat(sniffing: Array("RIFF0000WAVE".utf8)) == nil)
        #expect(ImageFormat(sniffing: [0xFF]) == nil)
    }
}
