-- Issue 4: staff accounts, locking, the Service-PIN check by support and what a successful check allows.
ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
ALTER TABLE accounts ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN pin_failed_attempts BIGINT NOT NULL DEFAULT 0;

CREATE TABLE support_grants (
    session_hash TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (session_hash, account_id)
);
