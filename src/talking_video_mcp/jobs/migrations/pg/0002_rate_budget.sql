-- Provider request budgets shared by every process on this database (jobs/pg_budget.py): one row per
-- request sent in the last minute, and a "send nothing until" mark per budget after a 429.
-- A budget is named by provider and a digest of its API key, never the key.
CREATE TABLE rate_slots (
    budget TEXT NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX rate_slots_budget ON rate_slots (budget, sent_at);
CREATE TABLE rate_blocks (
    budget TEXT PRIMARY KEY,
    until_at DOUBLE PRECISION NOT NULL
);
-- The runner looks for its own leases every few seconds.
CREATE INDEX jobs_lease ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;
