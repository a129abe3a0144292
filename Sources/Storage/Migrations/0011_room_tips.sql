-- A room's forward extremities as one row per room, replacing room_forward_extremities.
--
-- Every event replaces its room's extremities. As rows of (room_id, event_id) that meant a
-- DELETE and an INSERT per event: the index kept an entry for every dead row until vacuum, and
-- until the table had statistics the planner read them with bitmap scans that revisited every
-- dead entry, so each event of a busy room read all the extremities its room ever had. One row
-- per room whose indexed column never changes is updated in place (HOT): the dead versions are
-- pruned from the page as it fills, and the index is never touched. The fill factor leaves each
-- page room for those in-place updates.
CREATE TABLE room_tips (
    room_id      TEXT   PRIMARY KEY,
    extremities  TEXT[] NOT NULL   -- event IDs, sorted
) WITH (fillfactor = 50);

INSERT INTO room_tips (room_id, extremities)
SELECT room_id, array_agg(event_id ORDER BY event_id) FROM room_forward_extremities GROUP BY room_id;

DROP TABLE room_forward_extremities;
