-- End-to-end encryption: device keys, one-time and fallback keys, cross-signing keys and
-- signatures, the device list and to-device streams, and server-side key backup.

INSERT INTO stream_heads (stream, position) VALUES ('device_lists', 0), ('to_device', 0);

-- Each device's identity keys (`device_keys` of /keys/upload), as uploaded and signed by the
-- device. Signatures by others live in e2e_key_signatures.
CREATE TABLE e2e_device_keys (
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    key_json   TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- One-time keys: each is handed out once by /keys/claim and deleted.
CREATE TABLE e2e_one_time_keys (
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    algorithm  TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    key_json   TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, algorithm, key_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- The fallback key of each device and algorithm, handed out when one-time keys run out.
CREATE TABLE e2e_fallback_keys (
    user_id    TEXT    NOT NULL,
    device_id  TEXT    NOT NULL,
    algorithm  TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    key_json   TEXT    NOT NULL,
    used       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, device_id, algorithm),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- Cross-signing keys: 'master', 'self_signing', 'user_signing', the latest of each per user.
CREATE TABLE e2e_cross_signing_keys (
    user_id    TEXT NOT NULL,
    key_type   TEXT NOT NULL,
    public_key TEXT NOT NULL,   -- the unpadded base64 ed25519 key, also the key's ID
    key_json   TEXT NOT NULL,
    PRIMARY KEY (user_id, key_type)
);

-- Signatures uploaded with /keys/signatures/upload, merged into the keys they sign when shown.
-- A signature by a user's own keys is shown to everyone; one by another user's user-signing key
-- only to that user.
CREATE TABLE e2e_key_signatures (
    signer_user_id  TEXT NOT NULL,
    signer_key_id   TEXT NOT NULL,  -- "ed25519:<device ID or public key>"
    target_user_id  TEXT NOT NULL,
    target_key_id   TEXT NOT NULL,  -- a device ID or a cross-signing public key
    signature       TEXT NOT NULL,
    PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
);

-- The device list stream: each change to a user's devices or keys, at a position of its own.
-- /sync and /keys/changes tell the users who share a room with them.
CREATE TABLE device_list_changes (
    stream_id  BIGINT PRIMARY KEY,
    user_id    TEXT   NOT NULL
);
CREATE INDEX device_list_changes_user ON device_list_changes (user_id, stream_id);

-- Messages sent to devices (/sendToDevice), kept until the device's next sync acknowledges them.
CREATE TABLE to_device_messages (
    stream_id     BIGINT PRIMARY KEY,
    user_id       TEXT   NOT NULL,
    device_id     TEXT   NOT NULL,
    message_json  TEXT   NOT NULL,   -- {"sender", "type", "content"}
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX to_device_messages_device ON to_device_messages (user_id, device_id, stream_id);

-- The transaction IDs of /sendToDevice, so that a retried request sends nothing twice.
CREATE TABLE to_device_transactions (
    user_id     TEXT   NOT NULL,
    device_id   TEXT   NOT NULL,
    txn_id      TEXT   NOT NULL,
    created_ts  BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

-- Server-side key backup: versions of a user's backup, and the room keys in each.
CREATE TABLE room_key_backups (
    user_id    TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    version    BIGINT  NOT NULL,
    algorithm  TEXT    NOT NULL,
    auth_data  TEXT    NOT NULL,
    etag       BIGINT  NOT NULL DEFAULT 0,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, version)
);

CREATE TABLE room_keys (
    user_id              TEXT    NOT NULL,
    version              BIGINT  NOT NULL,
    room_id              TEXT    NOT NULL,
    session_id           TEXT    NOT NULL,
    first_message_index  BIGINT  NOT NULL,
    forwarded_count      BIGINT  NOT NULL,
    is_verified          BOOLEAN NOT NULL,
    session_data         TEXT    NOT NULL,
    PRIMARY KEY (user_id, version, room_id, session_id),
    FOREIGN KEY (user_id, version) REFERENCES room_key_backups (user_id, version) ON DELETE CASCADE
);
