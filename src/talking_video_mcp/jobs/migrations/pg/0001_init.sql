-- The job ledger on PostgreSQL: the same columns as the SQLite ledger (jobs/store.py), timestamps as
-- epoch seconds (double precision), request/state as jsonb.
CREATE TABLE jobs (
    id TEXT COLLATE "C" PRIMARY KEY,  -- byte order, as in SQLite (list_jobs pages by (created_at, id))
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'talking_video',
    status TEXT NOT NULL,
    step TEXT,
    progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    request JSONB NOT NULL,
    state JSONB NOT NULL DEFAULT '{}'::jsonb,
    pending_submit TEXT,
    output_url TEXT,
    video_path TEXT,
    audio_path TEXT,
    error TEXT,
    cost_estimate_usd DOUBLE PRECISION,
    idempotency_key TEXT,
    request_hash TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    submitted_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    next_check_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX jobs_active ON jobs (status, next_check_at);
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE UNIQUE INDEX jobs_idem ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_hash ON jobs (request_hash, created_at);
