-- The account's life after registration. Single-use email links (their hash): a forgotten password's (30 minutes,
-- to the notification address) and a new notification address's (to that address, with it); each used once.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    purpose TEXT NOT NULL,
    new_email TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_registration ON account_tokens (registration_id, purpose, created_at);
-- Every forgotten-password request, known account or not: the same write either way (the row and its job), so that
-- neither the answer nor its time tells whether an account matched; the queue's job then looks the login up and
-- sends the link (blanking the login), at most a few an hour to one account.
CREATE TABLE reset_requests (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    registration_id TEXT,
    at BIGINT NOT NULL
);
-- A session's second factor given again (a change then allowed for 5 minutes, once), and a session opened by Pro
-- Santé Connect (its factors may be reset at once); a reset's pending session names its link.
ALTER TABLE account_sessions ADD COLUMN verified_at BIGINT;
ALTER TABLE account_sessions ADD COLUMN psc_at BIGINT;
ALTER TABLE account_sessions ADD COLUMN reset_token_hash TEXT;
-- A closed account (statut `fermee`): when, by whom, why.
ALTER TABLE registrations ADD COLUMN ferme_le BIGINT;
ALTER TABLE registrations ADD COLUMN ferme_par TEXT;
ALTER TABLE registrations ADD COLUMN motif_fermeture TEXT;
