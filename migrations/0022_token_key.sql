-- Which key the stored link and code hashes are under (issue 18): a fingerprint of the key, never the key.
-- Empty until the first start with a key hashes the existing values under it (`security::token_key::adopt`).
CREATE TABLE token_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL
);
