-- One queue for every background job (promess_server::queue): an email to send, an account to write to the mail
-- system's directory, and the kinds to come. A worker claims a due job by pushing `next_attempt_at` to the end of a
-- short lease and writing its claim's token in `leased_by`; it renews the lease while it works, so that a job held
-- by a process that died is due again within the lease. Done jobs keep `done_at`; given-up ones `dead_at`.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_by TEXT,
    done_at BIGINT,
    dead_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (kind, next_attempt_at) WHERE done_at IS NULL AND dead_at IS NULL;
CREATE INDEX jobs_of ON jobs (registration_id);
-- The emails queued so far are jobs of the kind `email` with the id of their outbox row, which keeps the message.
INSERT INTO jobs (id, kind, registration_id, attempts, next_attempt_at, done_at, dead_at, last_error, created_at)
    SELECT id, 'email', registration_id, attempts, next_attempt_at, sent_at, dead_at, last_error, next_attempt_at
    FROM outbox;
-- The accounts queued for the directory are jobs of the kind `annuaire_compte`.
INSERT INTO jobs (id, kind, registration_id, attempts, next_attempt_at, done_at, dead_at, last_error, created_at)
    SELECT id, 'annuaire_compte', registration_id, attempts, next_attempt_at, done_at, dead_at, last_error, created_at
    FROM provisioning;
DROP TABLE provisioning;
-- The outbox keeps the messages only: when each was queued, and, once sent, when.
ALTER TABLE outbox ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
UPDATE outbox SET created_at = next_attempt_at;
DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN next_attempt_at;
ALTER TABLE outbox DROP COLUMN attempts;
ALTER TABLE outbox DROP COLUMN last_error;
ALTER TABLE outbox DROP COLUMN dead_at;
CREATE INDEX outbox_of ON outbox (registration_id);
