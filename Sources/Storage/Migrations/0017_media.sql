-- The media repository: one row per mxc://origin/media_id, local uploads and cached remote media.
-- The bytes live in the media file store under their SHA-256 (so identical files are stored
-- once); thumbnails are files beside them, made on demand, with no rows of their own.
CREATE TABLE media (
    origin             TEXT NOT NULL,     -- the server name of the mxc URI
    media_id           TEXT NOT NULL,
    uploader           TEXT,              -- local media: the user who created or uploaded it
    created_ts         BIGINT NOT NULL,
    -- Set when the bytes are stored. NULL: an asynchronous upload (POST /media/v1/create) that
    -- has not been uploaded yet; it lapses at unused_expires_ts.
    uploaded_ts        BIGINT,
    unused_expires_ts  BIGINT,
    content_type       TEXT,
    upload_name        TEXT,
    size_bytes         BIGINT,
    sha256             TEXT,              -- lowercase hex digest of the bytes
    -- Served only through the authenticated endpoints (media stored while unauthenticated
    -- media access was frozen).
    authenticated      BOOLEAN NOT NULL,
    quarantined_by     TEXT,
    PRIMARY KEY (origin, media_id),
    CHECK ((uploaded_ts IS NULL) = (sha256 IS NULL))
);

CREATE INDEX media_by_sha256 ON media (sha256);
CREATE INDEX media_pending_by_uploader ON media (uploader) WHERE uploaded_ts IS NULL;
