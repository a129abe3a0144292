import Logging
import MatrixCore
import Storage

/// A page of one user's media, for the admin API.
public struct UserMediaPage: Sendable {
    public var media: [MediaRecord]
    public var total: Int
    /// The offset of the next page, while more follow.
    public var nextOffset: Int?
}

/// What server admins do to media: quarantine it (it stays stored but is no longer served),
/// lift a quarantine, list and delete a user's uploads. Deleting removes the bytes and their
/// thumbnails once no other media shares them.
public struct MediaAdministration: Sendable {
    let store: MediaStore
    let files: LocalMediaFiles
    let logger: Logger

    public init(store: MediaStore, files: LocalMediaFiles, logger: Logger) {
        self.store = store
        self.files = files
        self.logger = logger
    }

    /// Quarantines (or, with `admin` `nil`, releases) one file. Unknown media is no error, as
    /// in Synapse.
    public func setQuarantine(origin: String, mediaID: String, by admin: UserID?) async throws {
        guard try await store.setQuarantine(origin: origin, mediaID: mediaID, by: admin?.description) else { return }
        logger.notice("media quarantine changed", metadata: [
            "origin": "\(origin)", "media_id": "\(mediaID)", "quarantined_by": "\(admin?.description ?? "nobody")",
        ])
    }

    /// Quarantines everything `user` uploaded; how many files it newly covered.
    public func quarantineMedia(of user: UserID, by admin: UserID) async throws -> Int {
        let count = try await store.quarantineAll(uploadedBy: user.description, by: admin.description)
        logger.notice("user media quarantined", metadata: ["user_id": "\(user)", "count": "\(count)"])
        return count
    }

    /// A page of `user`'s uploads, oldest first (Synapse's default order).
    public func media(of user: UserID, offset: Int, limit: Int) async throws -> UserMediaPage {
        let media = try await store.media(uploadedBy: user.description, limit: limit, offset: offset)
        let total = try await store.count(uploadedBy: user.description)
        return UserMediaPage(media: media, total: total,
                             nextOffset: offset + media.count < total && !media.isEmpty ? offset + media.count : nil)
    }

    /// Deletes media rows and the bytes no other row shares; the media IDs deleted. Bytes an
    /// upload of the same content claimed meanwhile stay; a file that cannot be removed is
    /// logged and the others still go.
    public func delete(_ media: [(origin: String, mediaID: String)]) async throws -> [String] {
        let (deleted, orphaned) = try await store.delete(media)
        var removed = 0
        for digest in orphaned where try await !store.isReferenced(digest) {
            do {
                try await files.delete(digest)
                removed += 1
            } catch {
                logger.error("could not remove media content", metadata: ["sha256": "\(digest)", "error": "\(error)"])
            }
        }
        logger.notice("media deleted", metadata: ["count": "\(deleted.count)", "files_removed": "\(removed)"])
        return deleted
    }
}
