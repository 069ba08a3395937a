-- Issue 11: the optional practice name and city (shown in the contact search, to tell people with the same
-- name apart), and the device a session was opened with ("Chrome · Android"; never the full User-Agent).
ALTER TABLE accounts ADD COLUMN practice TEXT;
ALTER TABLE accounts ADD COLUMN city TEXT;
ALTER TABLE sessions ADD COLUMN device TEXT;
