-- The second factor every account has from its first day. A set-up at registration (step 3): found by the hash of
-- its handle, its TOTP secret, the wrong codes typed, confirmed once with the hashes of its recovery codes, spent
-- by the registration that uses it; valid an hour.
CREATE TABLE factor_setups (
    id_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    secret TEXT NOT NULL,
    label TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT,
    recovery_hashes TEXT,
    spent_at BIGINT
);
-- An account's factors (an authenticator app's secret, and the last time step used: a code is taken once).
CREATE TABLE account_factors (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    kind TEXT NOT NULL,
    secret TEXT NOT NULL,
    last_step BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX account_factors_registration ON account_factors (registration_id);
-- An account's recovery codes, hashed, each usable once.
CREATE TABLE recovery_codes (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (registration_id, code_hash)
);
