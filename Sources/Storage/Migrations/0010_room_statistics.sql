-- Room reads of events (timelines, /messages, /context) must walk events_room_stream, the
-- room's own positions. The planner instead walks the global stream_ordering index and filters
-- by room when the statistics make the room look large, which skips every newer event of every
-- other room first: milliseconds per page in a busy cluster, and a walk of the whole table on a
-- room's last page. The statements run with generic plans (see Database), so the planner's
-- guess of a room's size is the average one: telling it rooms hold about 100 events each keeps
-- room reads on the room index whatever the sample saw. (Synapse pins n_distinct the same way
-- for its state tables.)
ALTER TABLE events ALTER COLUMN room_id SET (n_distinct = -0.01);
ANALYZE events;
