-- An email that will never leave (a permanent refusal, or its attempts spent) is dead: kept, listed, not retried.
ALTER TABLE outbox ADD COLUMN dead_at BIGINT;
