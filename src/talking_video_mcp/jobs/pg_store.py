"""The PostgreSQL job ledger: the same records and semantics as the SQLite `JobStore`, for a ledger
shared by several server processes or machines (TALKING_VIDEO_DATABASE_URL=postgresql://...).

psycopg 3 (sync) with a small connection pool: callers already reach the ledger from worker threads.
Imported only when a database URL is configured, so SQLite users need neither psycopg nor a server."""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from talking_video_mcp.errors import LedgerError
from talking_video_mcp.http import Budget
from talking_video_mcp.jobs.store import (
    _JSON_FIELDS,
    ACTIVE_SQL,
    REUSABLE_SQL,
    SPEND_COUNTS_SQL,
    JobRecord,
    _process_identity,
    check_updatable,
    held_by_another,
    new_record,
)
from talking_video_mcp.models import ACTIVE_STATUSES

# Held while migrating, so replicas starting together apply each migration once.
_MIGRATION_LOCK = zlib.crc32(b"talking_video_mcp.ledger.migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every file in jobs/migrations/pg, in version order."""
    folder = files("talking_video_mcp.jobs").joinpath("migrations", "pg")
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two PostgreSQL migrations share a version: {versions}")
    return found


def describe(url: str) -> str:
    """Where the ledger is, for messages: host, port and database, never the password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "PostgreSQL (TALKING_VIDEO_DATABASE_URL)"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or 5432
    return f"PostgreSQL {host}:{port}/{parts.get('dbname') or parts.get('user') or ''}"


class PgJobStore:
    """Synchronous, thread-safe ledger on PostgreSQL; see `talking_video_mcp.jobs.ledger.Ledger`."""

    def __init__(self, url: str, *, clock: Any = time.time, max_connections: int = 8,
                 connect_timeout_s: float = 10.0, owner_name: str | None = None) -> None:
        self.clock = clock
        self.owner = _process_identity(owner_name)
        self.where = describe(url)
        with self._errors(write=True):
            self._migrate(url, connect_timeout_s)
            self._pool: ConnectionPool = ConnectionPool(
                url, min_size=1, max_size=max_connections, timeout=30.0, open=True,
                kwargs={"connect_timeout": max(1, int(connect_timeout_s))},
                check=ConnectionPool.check_connection, name="talking-video-ledger",
            )

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()

    @contextmanager
    def _errors(self, *, write: bool = False) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LedgerError(
                f"the job ledger ({self.where}) could not be {'written' if write else 'read'}: {detail}. Check "
                "that the database server is reachable and TALKING_VIDEO_DATABASE_URL is right, then try again."
            ) from None

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        """One transaction on a pooled connection: committed when the block ends, rolled back on error."""
        with self._errors(write=write), self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            yield cur

    def _migrate(self, url: str, connect_timeout_s: float) -> None:
        with psycopg.connect(url, connect_timeout=max(1, int(connect_timeout_s))) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            applied = {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, text in migrations():
                if version not in applied:
                    conn.execute(text.encode())
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name))
            # Leaving the block commits: every missing migration or none.

    @staticmethod
    def _row(row: Mapping[str, Any]) -> JobRecord:
        data = dict(row)
        for key in _JSON_FIELDS:
            data[key] = data[key] or {}
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
            data[key] = Jsonb(data[key])
        query = sql.SQL("INSERT INTO jobs ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, data)), sql.SQL(", ").join(map(sql.Placeholder, data))
        )
        with self._tx(write=True) as cur:
            cur.execute(query, data)
        return record

    def get(self, job_id: str) -> JobRecord | None:
        with self._tx() as cur:
            row = cur.execute("SELECT * FROM jobs WHERE id = %s", (job_id,)).fetchone()
        return self._row(row) if row else None

    def update(self, job_id: str, *, unless_canceled: bool = True, **fields: Any) -> JobRecord:
        """Write fields; by default a canceled job is left as it is (a late poll must not revive it)."""
        check_updatable(fields)
        data = dict(fields)
        for key in _JSON_FIELDS:
            if key in data:
                data[key] = Jsonb(data[key])
        data["updated_at"] = self.clock()
        query = sql.SQL("UPDATE jobs SET {} WHERE id = %(_id)s{}").format(
            sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in data),
            sql.SQL(" AND status != 'canceled'" if unless_canceled else ""),
        )
        with self._tx(write=True) as cur:
            cur.execute(query, {**data, "_id": job_id})
            row = cur.execute("SELECT * FROM jobs WHERE id = %s", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return self._row(row)

    def find_by_idempotency_key(self, key: str) -> JobRecord | None:
        with self._tx() as cur:
            row = cur.execute("SELECT * FROM jobs WHERE idempotency_key = %s", (key,)).fetchone()
        return self._row(row) if row else None

    def find_recent_duplicate(self, request_hash: str, within_s: float) -> JobRecord | None:
        """A job with the same request made recently that has not failed (re-calls after a client timeout)."""
        since = self.clock() - within_s
        with self._tx() as cur:
            row = cur.execute(
                f"SELECT * FROM jobs WHERE request_hash = %s AND created_at >= %s AND {REUSABLE_SQL} "  # noqa: S608
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
        clauses: list[sql.Composable] = []
        args: list[Any] = []
        if status:
            clauses.append(sql.SQL("status = %s"))
            args.append(status)
        if model:
            clauses.append(sql.SQL("model = %s"))
            args.append(model)
        if before:
            clauses.append(sql.SQL("(created_at, id) < (%s, %s)"))
            args.extend([before[0], before[1]])
        where = sql.SQL("WHERE {}").format(sql.SQL(" AND ").join(clauses)) if clauses else sql.SQL("")
        query = sql.SQL("SELECT * FROM jobs {} ORDER BY created_at DESC, id DESC LIMIT %s").format(where)
        with self._tx() as cur:
            rows = cur.execute(query, [*args, limit]).fetchall()
        return [self._row(r) for r in rows]

    def active_jobs(self) -> list[JobRecord]:
        with self._tx() as cur:
            rows = cur.execute(
                f"SELECT * FROM jobs WHERE {ACTIVE_SQL} ORDER BY next_check_at, id"  # noqa: S608
            ).fetchall()
        return [self._row(r) for r in rows]

    def claim(self, job_id: str, lease_s: float) -> JobRecord | None:
        """Take the job for this process for `lease_s` seconds, unless a live process holds it.

        The row is locked for the check and the write (SELECT ... FOR UPDATE SKIP LOCKED): a process
        that finds another one mid-claim on the same job skips it rather than waiting, and the loser
        of a race sees the winner's lease. A lease from another host is honoured until it runs out."""
        now = self.clock()
        with self._tx(write=True) as cur:
            row = cur.execute("SELECT * FROM jobs WHERE id = %s FOR UPDATE SKIP LOCKED", (job_id,)).fetchone()
            if row is None or row["status"] not in ACTIVE_STATUSES:
                return None
            if held_by_another(row["lease_owner"], row["lease_until"], self.owner, now):
                return None
            row = cur.execute(
                "UPDATE jobs SET lease_owner = %s, lease_until = %s WHERE id = %s RETURNING *",
                (self.owner, now + lease_s, job_id),
            ).fetchone()
        return self._row(row) if row else None

    def release(self, job_id: str) -> None:
        with self._tx(write=True) as cur:
            cur.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = %s AND lease_owner = %s",
                (job_id, self.owner),
            )

    def renew_leases(self, lease_s: float) -> set[str]:
        """Extend every lease this process holds on an active job; the ids it still holds."""
        with self._tx(write=True) as cur:
            rows = cur.execute(
                f"UPDATE jobs SET lease_until = %s WHERE lease_owner = %s AND {ACTIVE_SQL} RETURNING id",  # noqa: S608
                (self.clock() + lease_s, self.owner),
            ).fetchall()
        return {str(row["id"]) for row in rows}

    def release_all(self) -> None:
        """At shutdown: hand every job this process holds to the next process that looks."""
        with self._tx(write=True) as cur:
            cur.execute("UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = %s", (self.owner,))

    def request_budget(self, name: str, per_minute: int) -> Budget:
        """A request budget counted in this database, shared by every process that uses the same key."""
        from talking_video_mcp.jobs.pg_budget import PgRequestBudget

        return PgRequestBudget(self._tx, name, per_minute)

    def spent_since(self, since: float) -> float:
        """Estimated spend of jobs that were (or may have been) submitted since `since`."""
        with self._tx() as cur:
            row = cur.execute(
                "SELECT COALESCE(SUM(cost_estimate_usd), 0) AS spent FROM jobs WHERE created_at >= %s "  # noqa: S608
                f"AND {SPEND_COUNTS_SQL}",
                (since,),
            ).fetchone()
        return float(row["spent"]) if row else 0.0

    def count(self) -> int:
        with self._tx() as cur:
            row = cur.execute("SELECT COUNT(*) AS n FROM jobs").fetchone()
        return int(row["n"]) if row else 0
