-- A professional who lost every second factor and recovery code, and whose identity was not proven by the card or
-- Pro Santé Connect, asks the operator (their password given): the request, and the operator's decision. Accepted,
-- the account's factors are removed and its next sign-in sets a new one up (`facteur_a_refaire`).
CREATE TABLE factor_losses (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    demande_le BIGINT NOT NULL,
    statut TEXT NOT NULL,
    decide_par TEXT,
    decide_le BIGINT,
    motif TEXT
);
CREATE INDEX factor_losses_statut ON factor_losses (statut, demande_le);
ALTER TABLE registrations ADD COLUMN facteur_a_refaire BIGINT NOT NULL DEFAULT 0;
