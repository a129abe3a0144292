-- Room state at events, stored as state groups (as Synapse does), so that the state of a
-- room with 100k members is not copied for every event. StateGroupStore writes and reads them.
--
-- A state group is either a full snapshot (delta_depth 0, no prev_state_group) holding one
-- row per state slot, or a delta against prev_state_group holding only the slots that
-- changed. The state of a group is found by walking the prev chain and taking, per slot,
-- the row of the nearest group. Chains are capped (StateGroupStore.maxDeltaDepth): a group
-- that would exceed the cap is written as a fresh snapshot instead. Groups never change
-- once written.
CREATE TABLE state_groups (
    id                BIGSERIAL PRIMARY KEY,
    room_id           TEXT      NOT NULL,
    event_id          TEXT      NOT NULL,  -- the event this is the state after/at
    prev_state_group  BIGINT    REFERENCES state_groups (id),  -- NULL for a snapshot
    delta_depth       INT       NOT NULL,  -- deltas between this group and its snapshot; 0 = snapshot
    CHECK (delta_depth >= 0),
    CHECK ((prev_state_group IS NULL) = (delta_depth = 0))
);
-- Listing the groups of a room (purging a room, debugging).
CREATE INDEX state_groups_room ON state_groups (room_id);
-- Finding the groups that build on a group (pruning; the foreign key's deletes).
CREATE INDEX state_groups_prev ON state_groups (prev_state_group);

-- The slots of each group. In a snapshot every row has an event_id; in a delta a NULL
-- event_id means "this slot is removed" (e.g. a state event rejected on a fork).
-- The primary key doubles as the index of the reconstruction query's join.
CREATE TABLE state_groups_state (
    state_group  BIGINT  NOT NULL REFERENCES state_groups (id),
    type         TEXT    NOT NULL,
    state_key    TEXT    NOT NULL,
    event_id     TEXT,             -- the state event filling the slot; NULL = removed (deltas only)
    PRIMARY KEY (state_group, type, state_key)
);

-- The state group holding the room state at each event.
CREATE TABLE event_to_state_groups (
    event_id     TEXT    PRIMARY KEY,
    state_group  BIGINT  NOT NULL REFERENCES state_groups (id)
);
-- Finding the events that share a group (pruning; the foreign key's deletes).
CREATE INDEX event_to_state_groups_group ON event_to_state_groups (state_group);
