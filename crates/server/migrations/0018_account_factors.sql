-- A factor added from the account space: its set-up belongs to that account (registration's set-ups have none).
ALTER TABLE factor_setups ADD COLUMN registration_id TEXT;
