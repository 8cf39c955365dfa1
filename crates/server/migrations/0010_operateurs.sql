-- The operator's staff: accounts (argon2id password and a TOTP secret), their sessions (only the cookie's hash is
-- kept), and the audit log, which the code only ever appends to.
CREATE TABLE operateurs (
    login TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    -- The last TOTP time step accepted: a code is used once.
    dernier_pas BIGINT NOT NULL DEFAULT 0,
    echecs INTEGER NOT NULL DEFAULT 0,
    verrouille_jusqu_a BIGINT,
    desactive_le BIGINT,
    cree_le BIGINT NOT NULL
);
CREATE TABLE sessions_operateur (
    id_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES operateurs (login),
    csrf TEXT NOT NULL,
    cree_le BIGINT NOT NULL,
    vu_le BIGINT NOT NULL
);
CREATE TABLE journal (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    acteur TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX journal_at ON journal (at);
