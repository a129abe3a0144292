-- Rooms a user has forgotten (POST /rooms/{roomId}/forget): the membership event (a leave or
-- ban) that was current when they forgot it. A later membership change makes the room
-- remembered again, as Synapse's per-membership "forgotten" flag does.
CREATE TABLE forgotten_rooms (
    user_id              TEXT NOT NULL,
    room_id              TEXT NOT NULL,
    membership_event_id  TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
