-- Accounts to write to the mail system's directory (LDAP, or LDIF files), queued in the transaction that activates
-- a registration; a worker writes them with retries, then queues the acceptance email (like the outbox).
CREATE TABLE provisioning (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL UNIQUE REFERENCES registrations (id),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    done_at BIGINT,
    dead_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX provisioning_pending ON provisioning (next_attempt_at) WHERE done_at IS NULL;
-- When the account appeared in the directory.
ALTER TABLE registrations ADD COLUMN provisioned_at BIGINT;
-- The MSSanté directory options, for the national directory's feed: on the red list (not published), and the phone
-- number to publish. Before this migration they are in `donnees` only (membership.liste_rouge, .telephone_publie).
ALTER TABLE registrations ADD COLUMN liste_rouge INTEGER NOT NULL DEFAULT 0; -- 1: on the red list
ALTER TABLE registrations ADD COLUMN telephone_annuaire TEXT;
