-- Room events (PDUs), local and remote, as persisted by EventStore.persist.
-- stream_ordering is the position of the event in the cluster-wide events stream: it
-- increases in commit order (DESIGN.md invariant 1), so "every event after position P"
-- is a plain range scan. Positions come from event_stream_head, never from a sequence.
CREATE TABLE events (
    event_id          TEXT    PRIMARY KEY,
    room_id           TEXT    NOT NULL,
    stream_ordering   BIGINT  NOT NULL UNIQUE,
    depth             BIGINT  NOT NULL,  -- the event's "depth" field: topological order within the room
    type              TEXT    NOT NULL,
    state_key         TEXT,              -- NULL for message events; '' is a valid state key
    sender            TEXT    NOT NULL,
    origin_server_ts  BIGINT  NOT NULL,  -- ms since the epoch, as claimed by the origin
    received_ts       BIGINT  NOT NULL,  -- ms since the epoch, when this server persisted it
    json              TEXT    NOT NULL,  -- the canonical JSON of the PDU, as signed
    rejected_reason   TEXT,              -- why auth rejected it; NULL when accepted
    outlier           BOOLEAN NOT NULL   -- stored without its prev_events / state being known
);

-- Reading a room forward or backward by stream position (sync, /messages).
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
-- Walking a room by topological depth (backfill, /messages with topological tokens).
CREATE INDEX events_room_depth ON events (room_id, depth);

-- The DAG: one row per prev_events entry of an event.
CREATE TABLE event_edges (
    event_id       TEXT NOT NULL,
    prev_event_id  TEXT NOT NULL,
    PRIMARY KEY (event_id, prev_event_id)
);
-- Finding the children of an event (is it still a forward extremity?).
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

-- The current forward extremities of each room: the events with no children yet, which
-- become the prev_events of the next event created here.
CREATE TABLE room_forward_extremities (
    room_id   TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    PRIMARY KEY (room_id, event_id)
);

-- The last allocated events stream position: exactly one row. EventStore.persist bumps it
-- as the last statement before COMMIT, so its row lock orders commits; see EventStore.
CREATE TABLE event_stream_head (
    lock      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (lock),  -- pins the table to one row
    position  BIGINT  NOT NULL
);
INSERT INTO event_stream_head (position) VALUES (0);
