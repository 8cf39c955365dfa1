-- Pro Santé Connect. A journey to PSC: its state (only the hash kept), bound to the browser's cookie (its hash),
-- with the nonce and the PKCE verifier the return needs; single use, valid 10 minutes.
CREATE TABLE psc_flows (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT
);
-- What PSC proved, waiting for the registration that uses it: found by the page's one-time handle (its hash),
-- for the same browser only; spent by the registration, in its transaction.
CREATE TABLE psc_identities (
    handle_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    identite TEXT NOT NULL,
    emetteur TEXT NOT NULL,
    sujet TEXT NOT NULL,
    acr TEXT NOT NULL,
    authentifie_le BIGINT NOT NULL,
    jeton TEXT NOT NULL,
    verifie_le BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT
);
-- The proof of a PSC-proven request, as verified.
ALTER TABLE registrations ADD COLUMN psc_emetteur TEXT;
ALTER TABLE registrations ADD COLUMN psc_sujet TEXT;
ALTER TABLE registrations ADD COLUMN psc_acr TEXT;
ALTER TABLE registrations ADD COLUMN psc_authentifie_le BIGINT;
ALTER TABLE registrations ADD COLUMN psc_jeton TEXT;
ALTER TABLE registrations ADD COLUMN psc_verifiee_le BIGINT;
