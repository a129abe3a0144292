-- Client data: account data, receipts and filters, and one table of stream heads for every
-- stream whose positions must follow commit order.

-- The last allocated position of each commit-ordered stream: one row per stream. A writer
-- bumps its stream's row in the statement that inserts the rows taking the positions, as the
-- last statement before COMMIT; the row lock then orders the commits (see StreamHead).
-- Replaces event_stream_head, whose position carries over as the 'events' row.
CREATE TABLE stream_heads (
    stream    TEXT   PRIMARY KEY,
    position  BIGINT NOT NULL
);
INSERT INTO stream_heads (stream, position) SELECT 'events', position FROM event_stream_head;
INSERT INTO stream_heads (stream, position) VALUES ('account_data', 0), ('receipts', 0);
DROP TABLE event_stream_head;

-- Per-user account data, global (room_id '') or for one room (AccountDataStore). Each change
-- moves the row to a new position of the account_data stream, so "what changed after P" is a
-- range scan.
CREATE TABLE account_data (
    user_id    TEXT   NOT NULL,
    room_id    TEXT   NOT NULL,  -- '' for global account data
    type       TEXT   NOT NULL,
    content    TEXT   NOT NULL,  -- the JSON object, as given
    stream_id  BIGINT NOT NULL UNIQUE,
    PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_user_stream ON account_data (user_id, stream_id);

-- The latest receipt of each user, type and thread in a room (ReceiptStore), at a position of
-- the receipts stream. A receipt only ever moves forward in the room's timeline.
CREATE TABLE receipts (
    room_id               TEXT   NOT NULL,
    receipt_type          TEXT   NOT NULL,  -- m.read, m.read.private
    user_id               TEXT   NOT NULL,
    thread_id             TEXT   NOT NULL,  -- '' for unthreaded receipts
    event_id              TEXT   NOT NULL,
    event_stream_ordering BIGINT NOT NULL,  -- the event's position, so a receipt never moves back
    ts                    BIGINT NOT NULL,  -- ms since the epoch, when the receipt was sent
    stream_id             BIGINT NOT NULL UNIQUE,
    PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_room_stream ON receipts (room_id, stream_id);

-- Filters uploaded with POST /user/{userId}/filter (FilterStore). Uploading the same filter
-- again returns its first ID (clients upload theirs at every start).
CREATE TABLE user_filters (
    filter_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      TEXT   NOT NULL,
    filter_json  TEXT   NOT NULL  -- canonical JSON
);
CREATE UNIQUE INDEX user_filters_dedup ON user_filters (user_id, md5(filter_json));
