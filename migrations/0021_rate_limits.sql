-- Rate limits that several instances share (PostgreSQL): one row per limiter and key, a fixed window.
-- On SQLite (one instance) the limits count in memory and this table stays empty.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
