-- A registration's life (promess_core::lifecycle): a request proves its email with a single-use link (only the
-- token's hash is kept), then becomes an account on a proof of the person. `purge_at`: when its data is deleted
-- (an unconfirmed request after 48 h, a refused one after the retention), its identifier freed.
ALTER TABLE registrations ADD COLUMN email_token_hash TEXT;
ALTER TABLE registrations ADD COLUMN email_token_expires_at BIGINT;
ALTER TABLE registrations ADD COLUMN email_confirmed_at BIGINT;
ALTER TABLE registrations ADD COLUMN confirmation_emails INTEGER NOT NULL DEFAULT 1;
ALTER TABLE registrations ADD COLUMN last_confirmation_email_at BIGINT;
ALTER TABLE registrations ADD COLUMN decided_at BIGINT;
ALTER TABLE registrations ADD COLUMN decided_by TEXT;
ALTER TABLE registrations ADD COLUMN motif_refus TEXT;
ALTER TABLE registrations ADD COLUMN detail_refus TEXT;
ALTER TABLE registrations ADD COLUMN purge_at BIGINT;
CREATE UNIQUE INDEX registrations_email_token ON registrations (email_token_hash);
CREATE INDEX registrations_purge ON registrations (purge_at);
CREATE INDEX registrations_statut ON registrations (statut);
-- Each request's history: every state it reached, when, and who decided (deleted with the request).
CREATE TABLE registration_events (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    at BIGINT NOT NULL,
    statut TEXT NOT NULL,
    actor TEXT,
    detail TEXT
);
CREATE INDEX registration_events_of ON registration_events (registration_id, at);
-- Timestamps are integers (Unix seconds) in every table.
ALTER TABLE registrations ADD COLUMN created BIGINT NOT NULL DEFAULT 0;
UPDATE registrations SET created = CAST(created_at AS BIGINT);
ALTER TABLE registrations DROP COLUMN created_at;
ALTER TABLE registrations RENAME COLUMN created TO created_at;
ALTER TABLE idempotency ADD COLUMN created BIGINT NOT NULL DEFAULT 0;
UPDATE idempotency SET created = CAST(created_at AS BIGINT);
ALTER TABLE idempotency DROP COLUMN created_at;
ALTER TABLE idempotency RENAME COLUMN created TO created_at;
CREATE INDEX idempotency_created ON idempotency (created_at);
