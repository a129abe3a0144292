import Foundation
import HTTPTypes

/// The headers that make served media safe to open from a browser.
public enum MediaHeaders {
    /// Headers on every response of the media worker, errors included: no content sniffing, a
    /// sandboxed document that runs no script, and embeddable from other origins (Element Web
    /// is usually on another origin than the homeserver).
    public static let security: HTTPFields = [
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Content-Security-Policy")!:
            "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; "
            + "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
        HTTPField.Name("Cross-Origin-Resource-Policy")!: "cross-origin",
    ]

    /// Media types a browser may show in place: images, audio, video and plain text that cannot
    /// carry script. Everything else (HTML, SVG, JavaScript, PDF, …) is served as an attachment.
    static let inlineContentTypes: Set<String> = [
        "text/css", "text/plain", "text/csv", "application/json", "application/ld+json",
        "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
        "video/mp4", "video/webm", "video/ogg", "video/quicktime",
        "audio/mp4", "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav",
        "audio/x-wav", "audio/x-pn-wav", "audio/flac", "audio/x-flac",
    ]

    /// `inline` for a safe media type, `attachment` otherwise, with the file name when known
    /// (RFC 6266; non-ASCII names as RFC 8187 `filename*`).
    static func contentDisposition(contentType: String, fileName: String?) -> String {
        let essence = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        let disposition = inlineContentTypes.contains(essence) ? "inline" : "attachment"
        guard let fileName, !fileName.isEmpty else { return disposition }
        let plain = fileName.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }
            && !fileName.contains("\"") && !fileName.contains("\\")
        if plain { return "\(disposition); filename=\"\(fileName)\"" }
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: attributeCharacters) ?? ""
        return "\(disposition); filename*=utf-8''\(encoded)"
    }

    /// RFC 8187 `attr-char`: what `filename*` may carry unescaped.
    private static let attributeCharacters = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~"
    )
}
