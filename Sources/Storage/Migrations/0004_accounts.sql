-- Local user accounts, their devices and access tokens (AccountStore).
CREATE TABLE users (
    user_id        TEXT    PRIMARY KEY,   -- full MXID, @localpart:server
    password_hash  TEXT,                  -- Argon2id PHC string; NULL = password login disabled
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    deactivated    BOOLEAN NOT NULL DEFAULT FALSE,
    user_type      TEXT,                  -- NULL for ordinary users, e.g. 'bot', 'support'
    displayname    TEXT,
    avatar_url     TEXT,
    created_ts     BIGINT  NOT NULL       -- ms since the epoch
);
-- Paging the admin user list by creation order and matching names case-insensitively.
CREATE INDEX users_created ON users (created_ts, user_id);
CREATE UNIQUE INDEX users_lower_id ON users (lower(user_id));

-- Third-party identifiers (email addresses, phone numbers) bound to accounts.
CREATE TABLE user_threepids (
    user_id       TEXT   NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    medium        TEXT   NOT NULL,
    address       TEXT   NOT NULL,
    validated_ts  BIGINT NOT NULL,
    added_ts      BIGINT NOT NULL,
    PRIMARY KEY (medium, address)
);
CREATE INDEX user_threepids_user ON user_threepids (user_id);

CREATE TABLE devices (
    user_id       TEXT   NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id     TEXT   NOT NULL,
    display_name  TEXT,
    last_seen_ts  BIGINT,
    last_seen_ip  TEXT,
    created_ts    BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

-- Access tokens are stored as the SHA-256 of the token, never the token itself.
CREATE TABLE access_tokens (
    token_hash          TEXT   PRIMARY KEY,
    user_id             TEXT   NOT NULL,
    device_id           TEXT   NOT NULL,
    created_ts          BIGINT NOT NULL,
    expires_ts          BIGINT,            -- NULL = does not expire (no refresh token issued)
    refresh_token_hash  TEXT   UNIQUE,     -- the refresh token that replaces this one, if any
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);
