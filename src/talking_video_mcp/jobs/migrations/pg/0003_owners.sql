-- Jobs have owners (OAuth users, domain/records.py `owner`); NULL is the implicit user of stdio and
-- static-token mode. Idempotency keys are unique per owner, and a user's jobs are listed by owner.
ALTER TABLE jobs ADD COLUMN owner TEXT, ADD COLUMN owner_client TEXT;
DROP INDEX jobs_idem;
CREATE UNIQUE INDEX jobs_idem ON jobs (COALESCE(owner, ''), idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_owner ON jobs (owner, created_at, id);
