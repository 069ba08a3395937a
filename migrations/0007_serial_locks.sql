-- One row per key whose caps are checked by counting ("SMS to this number"): a transaction upserts the row
-- first, which holds it until commit, so a parallel transaction counts only after the first one's insert.
CREATE TABLE serial_locks (
    lock_key TEXT PRIMARY KEY,
    locked_at BIGINT NOT NULL
);
