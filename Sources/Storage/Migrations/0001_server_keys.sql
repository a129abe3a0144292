-- Signing keys of remote homeservers, as fetched from their /_matrix/key/v2/server
-- or through a notary. One row per (server, key) and the server that vouched for it,
-- so a key seen through several notaries is kept once per notary.
CREATE TABLE server_keys (
    server_name        TEXT   NOT NULL,
    key_id             TEXT   NOT NULL,
    from_server        TEXT   NOT NULL,
    verify_key         TEXT   NOT NULL,  -- unpadded base64 ed25519 public key
    valid_until_ts     BIGINT NOT NULL,  -- ms since the epoch; old_verify_keys use expired_ts
    fetched_ts         BIGINT NOT NULL,
    key_json           TEXT   NOT NULL,  -- the signed response it came from, for re-serving as a notary
    PRIMARY KEY (server_name, key_id, from_server)
);
