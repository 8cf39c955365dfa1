-- The account space (/compte): failed sign-ins counted per account (a lock after 5), sessions (a random id's hash;
-- `complete` once the second factor is given: before, a pending session knows only the password was right), and
-- the professional's own journal of sign-ins, failures and changes.
ALTER TABLE registrations ADD COLUMN echecs_connexion BIGINT NOT NULL DEFAULT 0;
ALTER TABLE registrations ADD COLUMN verrouille_jusqu_a BIGINT;
CREATE TABLE account_sessions (
    id_hash TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    csrf TEXT NOT NULL,
    complete BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE TABLE account_journal (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX account_journal_registration ON account_journal (registration_id, at);
