-- Issue 9: appointments, participants and guest sessions (portable); the audit log's new events follow
-- in 0012_appointments.<backend>.sql.
CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    host_id TEXT NOT NULL REFERENCES accounts (id),
    starts_at BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    -- Shown to guests only when title_for_guests is 1.
    title TEXT NOT NULL,
    title_for_guests BIGINT NOT NULL DEFAULT 0,
    -- The host's latest status message to the waiting room.
    notice TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('planned', 'cancelled')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appointments_host ON appointments (host_id, starts_at);
CREATE INDEX appointments_start ON appointments (starts_at);

-- Link and code are stored only as SHA-256 (each with its own purpose prefix); NULL once revoked.
CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    link_hash TEXT UNIQUE,
    code_hash TEXT UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('invited', 'link_opened', 'waiting', 'admitted', 'declined', 'left', 'revoked')),
    state_since BIGINT NOT NULL,
    consent_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX participants_appointment ON participants (appointment_id, created_at);

-- A guest's browser session: bound to one participant, never to an account (its own table and cookie).
CREATE TABLE guest_sessions (
    id_hash TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX guest_sessions_participant ON guest_sessions (participant_id);

-- Invitations: which participant a message is for (deleted with the participant's data), and the
-- calendar file attached to an e-mail (erased with the body once sent).
ALTER TABLE outbox ADD COLUMN participant_id TEXT;
ALTER TABLE outbox ADD COLUMN attachment TEXT;
CREATE INDEX outbox_participant ON outbox (participant_id);

