-- Issue 4: API tokens for systems that create accounts, and idempotency keys for their retries.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE idempotency_keys (
    token_id TEXT NOT NULL REFERENCES api_tokens (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- NULL while the first request with this key is still being processed.
    account_id TEXT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
);
