-- Issue 5: the contact-search index (only accounts that may be found have rows), contact lists and the SMS
-- sent to contacts (for the per-sender caps).
CREATE TABLE contact_search (
    term TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (term, account_id)
);
CREATE INDEX contact_search_account ON contact_search (account_id);

-- Two-word searches ("Anna Mü"): every ordered pair of name parts, first part whole, second by prefix.
CREATE TABLE contact_search_pairs (
    first_term TEXT NOT NULL,
    second_term TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (first_term, second_term, account_id)
);
CREATE INDEX contact_search_pairs_account ON contact_search_pairs (account_id);

CREATE TABLE contacts (
    owner_id TEXT NOT NULL REFERENCES accounts (id),
    contact_id TEXT NOT NULL REFERENCES accounts (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, contact_id)
);

CREATE TABLE contact_messages (
    id TEXT PRIMARY KEY,
    sender_id TEXT NOT NULL REFERENCES accounts (id),
    recipient_id TEXT NOT NULL REFERENCES accounts (id),
    sent_at BIGINT NOT NULL
);
CREATE INDEX contact_messages_sender ON contact_messages (sender_id, sent_at);
