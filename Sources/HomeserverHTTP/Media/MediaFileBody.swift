import Homeserver
import Hummingbird
import MatrixCore
import Metrics
import NIOCore

/// Response bodies that stream stored media from the file store.
enum MediaFileBody {
    private static let bytesSent = Counter(label: "trellis_media_sent_bytes_total")

    /// The bytes of `content`, between `prefix` and `suffix` (the parts around a file in a
    /// multipart body); `404` when the file store lost the file.
    static func stream(_ content: MediaContent, from files: LocalMediaFiles, prefix: [UInt8] = [],
                       suffix: [UInt8] = []) async throws -> ResponseBody {
        guard await files.hasContent(content.sha256) else {
            throw MatrixError(.notFound, "The media's content is missing")
        }
        return ResponseBody(contentLength: prefix.count + Int(content.size) + suffix.count) { writer in
            if !prefix.isEmpty { try await writer.write(ByteBuffer(bytes: prefix)) }
            try await files.withContent(content.sha256) { chunks in
                for try await chunk in chunks {
                    try await writer.write(chunk)
                    bytesSent.increment(by: chunk.readableBytes)
                }
            }
            if !suffix.isEmpty { try await writer.write(ByteBuffer(bytes: suffix)) }
            try await writer.finish(nil)
        }
    }

    /// Bytes held in memory (a thumbnail), counted as sent.
    static func bytes(_ bytes: [UInt8]) -> ResponseBody {
        bytesSent.increment(by: bytes.count)
        return ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
    }
}
