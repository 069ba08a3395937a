-- The 60-second rule is now checked under the account's lock in `serial_locks` (migration 7), against the
-- codes themselves; this table only repeated their times.
DROP TABLE sms_guard
