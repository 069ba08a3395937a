-- Issue 10: "Sprechstunde beenden" ends an appointment for everyone (links and codes stop working); the
-- audit log's new event follows in 0013_room.<backend>.sql.
ALTER TABLE appointments ADD COLUMN finished_at BIGINT;
