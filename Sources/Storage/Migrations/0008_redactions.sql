-- Redactions that have taken effect: the redacted event is served in its pruned form
-- (pruned_json, computed with its room version's rules when the redaction was accepted),
-- and with unsigned.redacted_because naming the redaction. events.json keeps the original.
CREATE TABLE redactions (
    event_id      TEXT   PRIMARY KEY,  -- the redacted event
    redaction_id  TEXT   NOT NULL,     -- the first accepted redaction of it
    pruned_json   TEXT   NOT NULL      -- the canonical JSON of the redacted (pruned) event
);
CREATE INDEX redactions_redaction ON redactions (redaction_id);
