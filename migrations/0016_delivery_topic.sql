-- Issue 16: which live view shows a message's delivery state (an appointment's id for invitations and
-- cancellations); the worker announces it there whenever the state changes.
ALTER TABLE outbox ADD COLUMN topic TEXT;
CREATE INDEX outbox_topic ON outbox (topic, created_at);
