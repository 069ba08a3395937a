-- Issue 16: a fresh link and code are shown once after the redirect that follows "Hinzufügen", "Einladen",
-- "Neu erstellen" or "Einladung neu senden" (post/redirect/get: a reload repeats nothing). Stored are only
-- the hash of the view's token and the details sealed under that token (security::sealed), bound to the
-- host's session; a view lasts ten minutes and is deleted when shown.
CREATE TABLE fresh_views (
    id_hash TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX fresh_views_expiry ON fresh_views (expires_at);
