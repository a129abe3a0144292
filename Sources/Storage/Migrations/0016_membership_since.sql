-- Where each current membership began: the stream position of the member event that made it
-- what it is. A later member event with the same membership (a display name or avatar change)
-- keeps it, so that /sync does not take a profile change for a new join (which would send the
-- room's whole state again and every member as a device list change). NULL for other state.
ALTER TABLE current_state_events ADD COLUMN membership_since BIGINT;

-- Rows written before this migration: their current member event (what /sync read until now).
UPDATE current_state_events AS c
SET membership_since = e.stream_ordering
FROM events AS e
WHERE e.event_id = c.event_id AND c.type = 'm.room.member';
