-- Rooms, their current state and memberships, and client transaction IDs (RoomStore).
CREATE TABLE rooms (
    room_id        TEXT    PRIMARY KEY,
    room_version   TEXT    NOT NULL,
    creator        TEXT    NOT NULL,
    is_public      BOOLEAN NOT NULL DEFAULT FALSE,  -- listed in the public room directory
    state_group    BIGINT,                         -- the state group of the current state
    created_ts     BIGINT  NOT NULL
);
CREATE INDEX rooms_public ON rooms (room_id) WHERE is_public;

-- The resolved current state of each room, one row per state slot.
CREATE TABLE current_state_events (
    room_id     TEXT NOT NULL,
    type        TEXT NOT NULL,
    state_key   TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    membership  TEXT,            -- content.membership for m.room.member rows, else NULL
    PRIMARY KEY (room_id, type, state_key)
);
-- The rooms of a user (joined_rooms, sync) and the members of a room by membership.
CREATE INDEX current_state_members_user ON current_state_events (state_key, membership)
    WHERE type = 'm.room.member';
CREATE INDEX current_state_members_room ON current_state_events (room_id, membership)
    WHERE type = 'm.room.member';

-- Client transaction IDs: a retried PUT /send or /state with the same txnId returns the
-- event of the first attempt (DESIGN.md invariant 5). Scoped per device.
CREATE TABLE event_transactions (
    user_id     TEXT   NOT NULL,
    device_id   TEXT   NOT NULL,
    txn_id      TEXT   NOT NULL,
    event_id    TEXT   NOT NULL,
    created_ts  BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
);

CREATE TABLE room_aliases (
    alias       TEXT PRIMARY KEY,
    room_id     TEXT NOT NULL,
    creator     TEXT NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);
