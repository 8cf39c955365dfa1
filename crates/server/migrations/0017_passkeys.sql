-- Passkeys and FIDO2 keys (WebAuthn). A set-up's `secret` holds the ceremony's state, then the key once confirmed
-- (its credential id beside it); an account's key is one credential, never registered twice (to this account or
-- another); a pending sign-in's session holds its WebAuthn ceremony's state until the assertion uses it, once.
ALTER TABLE factor_setups ADD COLUMN credential_id TEXT;
ALTER TABLE account_factors ADD COLUMN credential_id TEXT;
CREATE UNIQUE INDEX account_factors_credential ON account_factors (credential_id);
ALTER TABLE account_sessions ADD COLUMN webauthn_state TEXT;
