-- Issue 11: "Passwort vergessen?". A reset link (32 random bytes, only its hash stored) is valid one hour and
-- used once; opening it binds it to the browser's reset session (session_hash), so the token leaves the
-- address bar. The audit events and session kinds follow in 0014_recovery.<backend>.sql.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    token_hash TEXT NOT NULL UNIQUE,
    -- 'self', or 'support:<account id>' when support sent it.
    requested_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    session_hash TEXT,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX password_resets_account ON password_resets (account_id, created_at);
