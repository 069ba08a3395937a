-- Issue 3: editions and the rest of the wizard. Accounts created before keep an empty step list
-- (they were invited under "step 1 only").
ALTER TABLE accounts ADD COLUMN edition TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE accounts ADD COLUMN wizard_steps TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN steps_done TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN two_factor_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN two_factor_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN phone TEXT;
ALTER TABLE accounts ADD COLUMN visible BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN pin_hash TEXT;
ALTER TABLE accounts ADD COLUMN pin_set_at BIGINT;

CREATE TABLE sms_codes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL,
    binding TEXT NOT NULL,
    phone TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX sms_codes_account ON sms_codes (account_id, sent_at);
CREATE INDEX sms_codes_phone ON sms_codes (phone, sent_at);
CREATE INDEX sms_codes_addr ON sms_codes (client_addr, sent_at);

-- One row per account and purpose: the time of the last code, written first in the sending transaction
-- (a conditional upsert), so that parallel requests cannot get around the 60-second rule.
CREATE TABLE sms_guard (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL,
    last_sent_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, purpose)
)
