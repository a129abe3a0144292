import Foundation
import MatrixCore
import MatrixCrypto
import NIOCore
import NIOFileSystem

/// Bytes received into a staging file, not yet kept.
public struct StagedFile: Sendable {
    let path: FilePath
    /// Lowercase hex SHA-256 of the bytes.
    public let sha256: String
    public let size: Int64
}

/// Media bytes in a local directory, which replicas share as a volume (ReadWriteMany on
/// Kubernetes), so any media replica serves any file.
///
/// Content is addressed by its SHA-256 and sharded by its first two byte pairs, so millions of
/// files never sit in one directory and a file uploaded twice is stored once:
///
/// ```
/// <root>/content/ab/cd/abcd1234…            the bytes
/// <root>/thumbnails/ab/cd/abcd1234…/<name>  thumbnails made from them
/// <root>/staging/<random>                   uploads in progress
/// ```
///
/// Files appear by rename, so a reader never sees a partial file.
public struct LocalMediaFiles: Sendable {
    public let root: FilePath
    private let fileSystem = FileSystem.shared

    public init(root: String) {
        self.root = FilePath(root)
    }

    /// How old a staging file must be before start-up removes it: older than any upload in
    /// progress on another replica.
    static let abandonedStagingAge: TimeInterval = 6 * 3600

    /// Creates the directories that must exist before the first upload and removes staging
    /// files a crash left behind; done once at start-up.
    public func prepare() throws {
        let manager = FileManager.default
        for directory in ["content", "thumbnails", "staging"] {
            try manager.createDirectory(atPath: root.appending(directory).string, withIntermediateDirectories: true)
        }
        let staging = root.appending("staging").string
        for name in try manager.contentsOfDirectory(atPath: staging) {
            let path = staging + "/" + name
            guard let modified = try? manager.attributesOfItem(atPath: path)[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > Self.abandonedStagingAge
            else { continue }
            try? manager.removeItem(atPath: path)
        }
    }

    /// Writes `chunks` to a new staging file while hashing them. More than `limit` bytes throw
    /// `M_TOO_LARGE` and leave nothing behind.
    public func stage<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks, limit: Int
    ) async throws -> StagedFile where Chunks.Element == ByteBuffer {
        let path = root.appending("staging/" + SecureToken.alphanumeric(24))
        do {
            var hasher = SHA256.Hasher()
            var size: Int64 = 0
            try await fileSystem.withFileHandle(forWritingAt: path) { handle in
                var writer = handle.bufferedWriter()
                for try await chunk in chunks {
                    size += Int64(chunk.readableBytes)
                    guard size <= limit else {
                        throw MatrixError(.tooLarge, "The upload is larger than the limit of \(limit) bytes")
                    }
                    hasher.update(chunk.readableBytesView)
                    try await writer.write(contentsOf: chunk)
                }
                try await writer.flush()
            }
            return StagedFile(path: path, sha256: Hex.encode(hasher.finalize()), size: size)
        } catch {
            Self.unlink(path)
            throw error
        }
    }

    /// Writes bytes held in memory (a fetched remote file) to a new staging file.
    public func stage(_ bytes: [UInt8]) async throws -> StagedFile {
        let path = root.appending("staging/" + SecureToken.alphanumeric(24))
        do {
            try await fileSystem.withFileHandle(forWritingAt: path) { handle in
                _ = try await handle.write(contentsOf: bytes, toAbsoluteOffset: 0)
            }
        } catch {
            Self.unlink(path)
            throw error
        }
        return StagedFile(path: path, sha256: Hex.encode(SHA256.hash(bytes)), size: Int64(bytes.count))
    }

    /// Moves a staged file to its content address; when that content is stored already the
    /// staged copy is dropped instead.
    public func keep(_ staged: StagedFile) async throws {
        let destination = contentPath(staged.sha256)
        if await hasContent(staged.sha256) {
            Self.unlink(staged.path)
            return
        }
        try await fileSystem.createDirectory(at: destination.removingLastComponent(), withIntermediateDirectories: true)
        try Self.rename(staged.path, to: destination)
    }

    /// Removes a staged file that will not be kept.
    public func discard(_ staged: StagedFile) async {
        Self.unlink(staged.path)
    }

    /// `rename(2)`: the destination is replaced atomically, so readers of an existing file
    /// never see it missing.
    private static func rename(_ source: FilePath, to destination: FilePath) throws {
        guard Foundation.rename(source.string, destination.string) == 0 else { throw Errno(rawValue: errno) }
    }

    /// `unlink(2)`, which a cancelled task cannot skip (the file system's own removal can).
    private static func unlink(_ path: FilePath) {
        _ = Foundation.unlink(path.string)
    }

    /// Streams the content with digest `sha256` to `body` in chunks.
    public func withContent<Result: Sendable>(
        _ sha256: String, _ body: (FileChunks) async throws -> Result
    ) async throws -> Result {
        try await fileSystem.withFileHandle(forReadingAt: contentPath(sha256)) { handle in
            try await body(handle.readChunks())
        }
    }

    /// The whole content with digest `sha256`, refused with `M_TOO_LARGE` past `limit` bytes.
    public func content(_ sha256: String, limit: Int) async throws -> [UInt8] {
        try await fileSystem.withFileHandle(forReadingAt: contentPath(sha256)) { handle in
            guard let size = try? await handle.info().size, size <= limit else {
                throw MatrixError(.tooLarge, "The media is too large to process")
            }
            var buffer = try await handle.readToEnd(maximumSizeAllowed: .bytes(Int64(limit)))
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }

    /// A thumbnail made earlier from the content `sha256`, if there is one.
    public func thumbnail(of sha256: String, named name: String) async throws -> [UInt8]? {
        do {
            return try await fileSystem.withFileHandle(forReadingAt: thumbnailPath(sha256, name)) { handle in
                var buffer = try await handle.readToEnd(maximumSizeAllowed: .unlimited)
                return buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        } catch let error as FileSystemError where error.code == .notFound {
            return nil
        }
    }

    /// Stores a thumbnail of the content `sha256`.
    public func storeThumbnail(_ bytes: [UInt8], of sha256: String, named name: String) async throws {
        let path = thumbnailPath(sha256, name)
        try await fileSystem.createDirectory(at: path.removingLastComponent(), withIntermediateDirectories: true)
        let staged = try await stage(bytes)
        do {
            try Self.rename(staged.path, to: path)
        } catch {
            Self.unlink(staged.path)
            throw error
        }
    }

    /// Removes the content `sha256` and every thumbnail made from it.
    public func delete(_ sha256: String) async throws {
        _ = try await fileSystem.removeItem(at: contentPath(sha256), recursively: false)
        _ = try await fileSystem.removeItem(at: thumbnailDirectory(sha256), recursively: true)
    }

    func contentPath(_ sha256: String) -> FilePath {
        root.appending("content/\(Self.shards(of: sha256))/\(sha256)")
    }

    private func thumbnailDirectory(_ sha256: String) -> FilePath {
        root.appending("thumbnails/\(Self.shards(of: sha256))/\(sha256)")
    }

    private func thumbnailPath(_ sha256: String, _ name: String) -> FilePath {
        thumbnailDirectory(sha256).appending(name)
    }

    /// `abcd…` → `ab/cd`. Digests are lowercase hex, never shorter than four characters.
    private static func shards(of sha256: String) -> String {
        let characters = Array(sha256)
        precondition(characters.count >= 4 && characters.allSatisfy(\.isHexDigit), "not a hex digest: \(sha256)")
        return "\(String(characters[0..<2]))/\(String(characters[2..<4]))"
    }
}

extension LocalMediaFiles {
    /// Whether the content `sha256` is in the store.
    public func hasContent(_ sha256: String) async -> Bool {
        (try? await fileSystem.info(forFileAt: contentPath(sha256))) != nil
    }
}
