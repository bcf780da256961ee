"""The SQLite job ledger (WAL): a job row exists before any money is spent, and every
state change is written before the next network call that depends on it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from talking_video_mcp.errors import LedgerError
from talking_video_mcp.http import Budget, RequestBudget
from talking_video_mcp.models import ACTIVE_STATUSES

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'talking_video',
        status TEXT NOT NULL,
        step TEXT,
        progress REAL NOT NULL DEFAULT 0,
        request TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT '{}',
        pending_submit TEXT,
        output_url TEXT,
        video_path TEXT,
        audio_path TEXT,
        error TEXT,
        cost_estimate_usd REAL,
        idempotency_key TEXT,
        request_hash TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        submitted_at REAL,
        finished_at REAL,
        next_check_at REAL NOT NULL DEFAULT 0,
        polls INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_active ON jobs(status, next_check_at);
    CREATE INDEX jobs_created ON jobs(created_at);
    CREATE UNIQUE INDEX jobs_idem ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX jobs_hash ON jobs(request_hash, created_at);
    """,
}

_JSON_FIELDS = ("request", "state")
_UPDATABLE = frozenset(
    {
        "status", "step", "progress", "state", "pending_submit", "output_url", "video_path", "audio_path",
        "error", "cost_estimate_usd", "submitted_at", "finished_at", "next_check_at", "polls",
    }
)


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class JobRecord:
    id: str
    model: str
    provider: str
    kind: str
    status: str
    request: dict[str, Any]
    created_at: float
    updated_at: float
    step: str | None = None
    progress: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)
    pending_submit: str | None = None
    output_url: str | None = None
    video_path: str | None = None
    audio_path: str | None = None
    error: str | None = None
    cost_estimate_usd: float | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    submitted_at: float | None = None
    finished_at: float | None = None
    next_check_at: float = 0.0
    polls: int = 0
    lease_owner: str | None = None
    lease_until: float = 0.0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


# Business rules both ledger backends share, in SQL without placeholders.
SPEND_COUNTS_SQL = (
    "provider != 'local' AND (submitted_at IS NOT NULL OR status IN ('queued', 'processing', "
    "'submit_unknown', 'completed'))"
)
"""Jobs whose estimate counts against the daily budget: submitted, or about to be, or maybe submitted."""
REUSABLE_SQL = "status NOT IN ('failed', 'canceled', 'expired')"
"""Jobs an identical request may be answered with (re-calls after a client timeout)."""
ACTIVE_SQL = f"status IN ({', '.join(repr(s) for s in sorted(ACTIVE_STATUSES))})"
"""Jobs the runner still drives (models.ACTIVE_STATUSES)."""


def new_record(
    now: float,
    *,
    model: str,
    provider: str,
    request: Mapping[str, Any],
    kind: str = "talking_video",
    cost_estimate_usd: float | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    step: str | None = None,
    job_id: str | None = None,
) -> JobRecord:
    """A queued job as both backends insert it."""
    return JobRecord(
        id=job_id or f"job_{uuid.uuid4().hex[:16]}",
        model=model,
        provider=provider,
        kind=kind,
        status="queued",
        step=step,
        request=dict(request),
        created_at=now,
        updated_at=now,
        cost_estimate_usd=cost_estimate_usd,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )


def check_updatable(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")


def held_by_another(owner: str | None, lease_until: float, me: str, now: float) -> bool:
    """A lease this process must respect: another owner's, unexpired, and not a dead process on this host."""
    return bool(owner) and owner != me and lease_until > now and _pid_alive(str(owner))


def _process_identity(name: str | None = None) -> str:
    """host:pid:tag — unique per process; `_pid_alive` reads the host and pid back."""
    return f"{socket.gethostname()}:{os.getpid()}:{name or uuid.uuid4().hex[:8]}"


def _pid_alive(owner: str) -> bool:
    """True when a lease owner on this host is still running (a SIGKILLed one is not)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """Synchronous, thread-safe ledger; callers on the event loop use `anyio.to_thread`."""

    def __init__(self, path: Path, *, clock: Any = time.time, owner_name: str | None = None) -> None:
        self.path = path
        self.clock = clock
        self.owner = _process_identity(owner_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _using(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; a database error (a full disk, a locked or damaged file)
        becomes one clear LedgerError."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise LedgerError(
                    f"the job ledger ({self.path}) could not be {'written' if write else 'read'}: {exc}. Free disk "
                    "space (or fix TALKING_VIDEO_HOME) and try again."
                ) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._using(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself failed (SQLITE_FULL): an open transaction would block every later write.
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
        with self._tx() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={target}")

    @staticmethod
    def _row(row: sqlite3.Row) -> JobRecord:
        data = dict(row)
        for key in _JSON_FIELDS:
            data[key] = json.loads(data[key]) if data[key] else {}
        return JobRecord(**data)

    def create(
        self,
        *,
        model: str,
        provider: str,
        request: Mapping[str, Any],
        kind: str = "talking_video",
        cost_estimate_usd: float | None = None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        step: str | None = None,
        job_id: str | None = None,
    ) -> JobRecord:
        record = new_record(
            self.clock(), model=model, provider=provider, request=request, kind=kind,
            cost_estimate_usd=cost_estimate_usd, idempotency_key=idempotency_key, request_hash=request_hash,
            step=step, job_id=job_id,
        )
        data = record.__dict__.copy()
        for key in _JSON_FIELDS:
            data[key] = json.dumps(data[key])
        columns = ", ".join(data)
        marks = ", ".join(f":{k}" for k in data)
        with self._tx() as conn:
            conn.execute(f"INSERT INTO jobs ({columns}) VALUES ({marks})", data)  # noqa: S608
        return record

    def get(self, job_id: str) -> JobRecord | None:
        with self._using() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._row(row) if row else None

    def update(self, job_id: str, *, unless_canceled: bool = True, **fields: Any) -> JobRecord:
        """Write fields; by default a canceled job is left as it is (a late poll must not revive it)."""
        check_updatable(fields)
        data = dict(fields)
        for key in _JSON_FIELDS:
            if key in data:
                data[key] = json.dumps(data[key])
        data["updated_at"] = self.clock()
        assignments = ", ".join(f"{k} = :{k}" for k in data)
        with self._tx() as conn:
            guard = " AND status != 'canceled'" if unless_canceled else ""
            conn.execute(f"UPDATE jobs SET {assignments} WHERE id = :_id{guard}", {**data, "_id": job_id})  # noqa: S608
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return self._row(row)

    def find_by_idempotency_key(self, key: str) -> JobRecord | None:
        with self._using() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()
        return self._row(row) if row else None

    def find_recent_duplicate(self, request_hash: str, within_s: float) -> JobRecord | None:
        """A job with the same request made recently that has not failed (re-calls after a client timeout)."""
        since = self.clock() - within_s
        with self._using() as conn:
            row = conn.execute(
                f"SELECT * FROM jobs WHERE request_hash = ? AND created_at >= ? AND {REUSABLE_SQL} "  # noqa: S608
                "ORDER BY created_at DESC LIMIT 1",
                (request_hash, since),
            ).fetchone()
        return self._row(row) if row else None

    def list_jobs(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        limit: int = 20,
        before: tuple[float, str] | None = None,
    ) -> list[JobRecord]:
        clauses: list[str] = []
        args: list[Any] = []
        if status:
            clauses.append("status = ?")
            args.append(status)
        if model:
            clauses.append("model = ?")
            args.append(model)
        if before:
            clauses.append("(created_at < ? OR (created_at = ? AND id < ?))")
            args.extend([before[0], before[0], before[1]])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM jobs {where} ORDER BY created_at DESC, id DESC LIMIT ?"  # noqa: S608
        with self._using() as conn:
            rows = conn.execute(sql, [*args, limit]).fetchall()
        return [self._row(r) for r in rows]

    def active_jobs(self) -> list[JobRecord]:
        with self._using() as conn:
            rows = conn.execute(
                f"SELECT * FROM jobs WHERE {ACTIVE_SQL} ORDER BY next_check_at"  # noqa: S608
            ).fetchall()
        return [self._row(r) for r in rows]

    def claim(self, job_id: str, lease_s: float) -> JobRecord | None:
        """Take the job for this process for `lease_s` seconds, unless a live process holds it."""
        now = self.clock()
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row["status"] not in ACTIVE_STATUSES:
                return None
            if held_by_another(row["lease_owner"], row["lease_until"], self.owner, now):
                return None
            conn.execute(
                "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ?", (self.owner, now + lease_s, job_id)
            )
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._row(row)

    def release(self, job_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?",
                (job_id, self.owner),
            )

    def renew_leases(self, lease_s: float) -> set[str]:
        """Extend every lease this process holds on an active job; the ids it still holds."""
        with self._tx() as conn:
            rows = conn.execute(
                f"UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND {ACTIVE_SQL} RETURNING id",  # noqa: S608
                (self.clock() + lease_s, self.owner),
            ).fetchall()
        return {row[0] for row in rows}

    def release_all(self) -> None:
        """At shutdown: hand every job this process holds to the next process that looks."""
        with self._tx() as conn:
            conn.execute("UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?", (self.owner,))

    def request_budget(self, name: str, per_minute: int) -> Budget:
        """One process per SQLite ledger drives the jobs of a key at a time: an in-process window."""
        return RequestBudget(per_minute)

    def spent_since(self, since: float) -> float:
        """Estimated spend of jobs that were (or may have been) submitted since `since`."""
        with self._using() as conn:
            row = conn.execute(
                f"SELECT COALESCE(SUM(cost_estimate_usd), 0) FROM jobs WHERE created_at >= ? AND {SPEND_COUNTS_SQL}",  # noqa: S608
                (since,),
            ).fetchone()
        return float(row[0])

    def count(self) -> int:
        with self._using() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
