-- What each recipient's push rules decided for each event that notifies them (the spec's
-- default rules, evaluated when the event is persisted): the source of /sync's
-- unread_notifications. Rows up to a user's read receipt are deleted when the receipt moves.
CREATE TABLE event_push_actions (
    user_id    TEXT    NOT NULL,
    room_id    TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    highlight  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, room_id, event_id)
);
