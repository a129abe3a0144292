import Logging
import PostgresNIO

/// One `mxc://` URI's row in the media repository.
public struct MediaRecord: Sendable, Equatable {
    /// The server name of the URI.
    public var origin: String
    public var mediaID: String
    /// The local user who created or uploaded it; `nil` for remote media.
    public var uploader: String?
    public var createdAt: Int64
    /// When the bytes were stored; `nil` while an asynchronous upload is pending.
    public var uploadedAt: Int64?
    /// When a pending upload lapses.
    public var unusedExpiresAt: Int64?
    public var contentType: String?
    public var uploadName: String?
    public var size: Int64?
    /// Lowercase hex SHA-256 of the bytes, which names them in the file store.
    public var sha256: String?
    /// Served only through the authenticated media endpoints.
    public var authenticated: Bool
    /// The admin who quarantined it; quarantined media is not served.
    public var quarantinedBy: String?

    public init(origin: String, mediaID: String, uploader: String?, createdAt: Int64, uploadedAt: Int64?,
                unusedExpiresAt: Int64?, contentType: String?, uploadName: String?, size: Int64?, sha256: String?,
                authenticated: Bool, quarantinedBy: String? = nil) {
        self.origin = origin
        self.mediaID = mediaID
        self.uploader = uploader
        self.createdAt = createdAt
        self.uploadedAt = uploadedAt
        self.unusedExpiresAt = unusedExpiresAt
        self.contentType = contentType
        self.uploadName = uploadName
        self.size = size
        self.sha256 = sha256
        self.authenticated = authenticated
        self.quarantinedBy = quarantinedBy
    }
}

/// The bytes of an upload as stored: what `MediaStore` records about them.
public struct StoredContent: Sendable, Equatable {
    public var contentType: String
    public var uploadName: String?
    public var size: Int64
    public var sha256: String

    public init(contentType: String, uploadName: String?, size: Int64, sha256: String) {
        self.contentType = contentType
        self.uploadName = uploadName
        self.size = size
        self.sha256 = sha256
    }
}

/// The media repository's metadata (`media`).
public struct MediaStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Records media whose bytes are stored: a local upload or a remote file now cached. A row
    /// that exists already is kept (two replicas caching the same remote file).
    public func insert(_ record: MediaRecord) async throws {
        try await database.query(
            """
            INSERT INTO media (origin, media_id, uploader, created_ts, uploaded_ts, unused_expires_ts, content_type,
                               upload_name, size_bytes, sha256, authenticated)
            VALUES (\(record.origin), \(record.mediaID), \(record.uploader), \(record.createdAt), \(record.uploadedAt),
                    \(record.unusedExpiresAt), \(record.contentType), \(record.uploadName), \(record.size),
                    \(record.sha256), \(record.authenticated))
            ON CONFLICT (origin, media_id) DO NOTHING
            """,
            label: "insert_media"
        )
    }

    /// Reserves a media ID for an asynchronous upload, unless `uploader` already holds `limit`
    /// reservations that are neither uploaded nor expired at `now`. Whether it was reserved.
    /// Concurrent reservations of one user are serialised, so the limit holds.
    public func reserve(origin: String, mediaID: String, uploader: String, now: Int64, expiresAt: Int64,
                        authenticated: Bool, limit: Int) async throws -> Bool {
        try await database.transaction(label: "reserve_media") { connection in
            let lock = try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('media_reservations'), hashtext(\(uploader)))",
                logger: database.queryLogger("lock_media_reservations")
            )
            for try await _ in lock {}
            let rows = try await connection.query(
                """
                INSERT INTO media (origin, media_id, uploader, created_ts, unused_expires_ts, authenticated)
                SELECT \(origin), \(mediaID), \(uploader), \(now), \(expiresAt), \(authenticated)
                WHERE (SELECT count(*) FROM media
                       WHERE uploader = \(uploader) AND uploaded_ts IS NULL AND unused_expires_ts > \(now)) < \(limit)
                RETURNING 1
                """,
                logger: database.queryLogger("reserve_media")
            )
            for try await _ in rows { return true }
            return false
        }
    }

    /// Stores the content of a reserved upload: only its uploader's, only once, and only before
    /// it expires. Returns the row before the update, or `nil` when no such media exists; the
    /// upload took place exactly when that row was pending, unexpired and `uploader`'s.
    public func completeReservation(origin: String, mediaID: String, uploader: String, content: StoredContent,
                                    now: Int64) async throws -> MediaRecord? {
        try await database.transaction(label: "complete_media_reservation") { connection in
            let rows = try await connection.query(
                "\(unescaped: Self.selectColumns) WHERE origin = \(origin) AND media_id = \(mediaID) FOR UPDATE",
                logger: database.queryLogger("select_media_for_upload")
            )
            guard let before = try await Self.records(rows).first else { return nil }
            if before.uploadedAt == nil, before.uploader == uploader, (before.unusedExpiresAt ?? 0) > now {
                try await connection.query(
                    """
                    UPDATE media SET uploaded_ts = \(now), content_type = \(content.contentType),
                                     upload_name = \(content.uploadName), size_bytes = \(content.size),
                                     sha256 = \(content.sha256)
                    WHERE origin = \(origin) AND media_id = \(mediaID)
                    """,
                    logger: database.queryLogger("complete_media_upload")
                )
            }
            return before
        }
    }

    /// The row of `mxc://origin/mediaID`.
    public func media(origin: String, mediaID: String) async throws -> MediaRecord? {
        let rows = try await database.query(
            "\(unescaped: Self.selectColumns) WHERE origin = \(origin) AND media_id = \(mediaID)",
            label: "select_media"
        )
        return try await Self.records(rows).first
    }

    /// Sets or clears the quarantine of one file; whether the media exists.
    public func setQuarantine(origin: String, mediaID: String, by admin: String?) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE media SET quarantined_by = \(admin) WHERE origin = \(origin) AND media_id = \(mediaID) RETURNING 1",
            label: "quarantine_media"
        )
        for try await _ in rows { return true }
        return false
    }

    /// Quarantines every file `uploader` stored; how many were not quarantined before.
    public func quarantineAll(uploadedBy uploader: String, by admin: String) async throws -> Int {
        let rows = try await database.query(
            """
            UPDATE media SET quarantined_by = \(admin)
            WHERE uploader = \(uploader) AND quarantined_by IS NULL RETURNING 1
            """,
            label: "quarantine_user_media"
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Deletes the rows of the given media. Returns the media IDs deleted, and each deleted
    /// row's content digest that no remaining row shares, so its bytes can go too.
    public func delete(_ media: [(origin: String, mediaID: String)]) async throws -> (deleted: [String], orphaned: [String]) {
        try await database.transaction(label: "delete_media") { connection in
            var deleted: [String] = []
            var digests: Set<String> = []
            for (origin, mediaID) in media {
                let rows = try await connection.query(
                    "DELETE FROM media WHERE origin = \(origin) AND media_id = \(mediaID) RETURNING sha256",
                    logger: database.queryLogger("delete_media")
                )
                for try await digest in rows.decode(String?.self) {
                    deleted.append(mediaID)
                    if let digest { digests.insert(digest) }
                }
            }
            let still = try await connection.query(
                "SELECT DISTINCT sha256 FROM media WHERE sha256 = ANY(\(Array(digests)))",
                logger: database.queryLogger("select_shared_media_content")
            )
            for try await digest in still.decode(String.self) { digests.remove(digest) }
            return (deleted, digests.sorted())
        }
    }

    /// Whether any media row has the content `sha256`.
    public func isReferenced(_ sha256: String) async throws -> Bool {
        let rows = try await database.query(
            "SELECT 1 FROM media WHERE sha256 = \(sha256) LIMIT 1",
            label: "select_media_content_use"
        )
        for try await _ in rows { return true }
        return false
    }

    /// How many files `uploader` stored.
    public func count(uploadedBy uploader: String) async throws -> Int {
        let rows = try await database.query(
            "SELECT count(*)::int FROM media WHERE uploader = \(uploader)",
            label: "count_user_media"
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// The media `uploader` stored, oldest first.
    public func media(uploadedBy uploader: String, limit: Int, offset: Int) async throws -> [MediaRecord] {
        let rows = try await database.query(
            """
            \(unescaped: Self.selectColumns) WHERE uploader = \(uploader)
            ORDER BY created_ts, media_id LIMIT \(limit) OFFSET \(offset)
            """,
            label: "select_user_media"
        )
        return try await Self.records(rows)
    }

    private static let selectColumns = """
        SELECT origin, media_id, uploader, created_ts, uploaded_ts, unused_expires_ts, content_type, upload_name,
               size_bytes, sha256, authenticated, quarantined_by
        FROM media
        """

    private static func records(_ rows: PostgresRowSequence) async throws -> [MediaRecord] {
        var records: [MediaRecord] = []
        for try await row in rows.decode(
            (String, String, String?, Int64, Int64?, Int64?, String?, String?, Int64?, String?, Bool, String?).self
        ) {
            records.append(MediaRecord(
                origin: row.0, mediaID: row.1, uploader: row.2, createdAt: row.3, uploadedAt: row.4,
                unusedExpiresAt: row.5, contentType: row.6, uploadName: row.7, size: row.8, sha256: row.9,
                authenticated: row.10, quarantinedBy: row.11
            ))
        }
        return records
    }
}
