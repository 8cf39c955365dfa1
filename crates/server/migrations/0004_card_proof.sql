-- The challenges the card signs: single use, valid 5 minutes; only the nonce's hash is kept. Spent ones stay until
-- an hour past their expiry, so that a replay is told apart from an unknown nonce.
CREATE TABLE card_challenges (
    nonce_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT
);
-- The card's proof of a card registration, as verified.
ALTER TABLE registrations ADD COLUMN carte_emetteur TEXT;
ALTER TABLE registrations ADD COLUMN carte_numero_serie TEXT;
ALTER TABLE registrations ADD COLUMN carte_empreinte TEXT;
ALTER TABLE registrations ADD COLUMN carte_algorithme TEXT;
ALTER TABLE registrations ADD COLUMN carte_verifiee_le BIGINT;
