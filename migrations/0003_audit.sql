-- Issue 4: the security audit log (append-only: the code has no UPDATE or DELETE for it) and the time of
-- the last password confirmation per session (recent re-authentication).
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    account_id TEXT,
    client_addr TEXT,
    event TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX audit_log_account ON audit_log (account_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

ALTER TABLE sessions ADD COLUMN reauth_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN last_login_at BIGINT;
