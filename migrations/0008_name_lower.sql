-- The name in lower case for the support search, computed by the application (SQLite's lower() folds only
-- ASCII, so "MÜLLER" would not be found). Rows without it are filled in when the service starts.
ALTER TABLE accounts ADD COLUMN name_lower TEXT
