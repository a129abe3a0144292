-- What a client event's `unsigned` links to besides the event itself.
--
-- The state event each local state event replaced (`unsigned.replaces_state` and, from that
-- event, `prev_content`), written when the event is appended: the persister has the room's
-- state before the event in hand then, while finding it later would mean walking state groups.
-- Events stored before this migration have none.
ALTER TABLE events ADD COLUMN replaces_state TEXT;

-- The transaction ID of an event for the device that sent it (`unsigned.transaction_id`), looked
-- up by event.
CREATE INDEX event_transactions_event ON event_transactions (event_id);
