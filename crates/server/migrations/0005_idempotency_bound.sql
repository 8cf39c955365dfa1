-- An Idempotency-Key is bound to the request it came with: the SHA-256 of its body is kept with the answer.
ALTER TABLE idempotency ADD COLUMN body_hash TEXT;
