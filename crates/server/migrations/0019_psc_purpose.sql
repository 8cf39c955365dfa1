-- What a journey to Pro Santé Connect is for: a registration (`inscription`, step 2 filled in from what PSC proves)
-- or a sign-in to the account space (`compte`, for accounts proven by the card or PSC).
ALTER TABLE psc_flows ADD COLUMN purpose TEXT NOT NULL DEFAULT 'inscription';
