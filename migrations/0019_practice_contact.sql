-- Issue 16: the practice as its patients' contact: a phone number for patients and an optional e-mail
-- (Reply-To of invitations), and per message the sender's display name and Reply-To.
ALTER TABLE accounts ADD COLUMN practice_phone TEXT;
ALTER TABLE accounts ADD COLUMN practice_email TEXT;
ALTER TABLE outbox ADD COLUMN sender_name TEXT;
ALTER TABLE outbox ADD COLUMN reply_to TEXT;
