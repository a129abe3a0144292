-- The display name of each current m.room.member row, as the JSON text of the event's
-- content.displayname (NULL when absent): the push rules of every event in a room read the
-- names of all its joined members, and parsing each member event's JSON for that took longer
-- than the rest of a send in a room of thousands. JSON text rather than the string itself,
-- because a TEXT column cannot hold the "\u0000" that a name may contain.
ALTER TABLE current_state_events ADD COLUMN display_name_json TEXT;

UPDATE current_state_events AS c
SET display_name_json = (e.json::json -> 'content' -> 'displayname')::text
FROM events AS e
WHERE e.event_id = c.event_id AND c.type = 'm.room.member';
