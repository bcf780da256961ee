"""The PostgreSQL job ledger: the same records and semantics as the SQLite `JobStore`, for a ledger
shared by several server processes or machines (TALKING_VIDEO_DATABASE_URL=postgresql://...).

psycopg 3 (sync) with a small connection pool: callers already reach the ledger from worker threads.
Imported only when a database URL is configured, so SQLite users need neither psycopg nor a server."""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from talking_video_mcp.domain.records import process_identity
from talking_video_mcp.errors import LedgerError, LedgerUnavailable
from talking_video_mcp.jobs.pg_budget import PgRequestBudget
from talking_video_mcp.jobs.sql_ledger import SqlLedger
from talking_video_mcp.rate_budget import Budget

log = logging.getLogger(__name__)
POOL_WAIT_S = 3.0
UNAVAILABLE = "The job store is unavailable; try again shortly."


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


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


class PgJobStore(SqlLedger):
    """Synchronous, thread-safe ledger on PostgreSQL; see `talking_video_mcp.jobs.ledger.Ledger`.

    claim() locks the row with FOR UPDATE SKIP LOCKED: a process that finds another one mid-claim on the
    same job skips it rather than waiting."""

    _claim_lock = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time, max_connections: int = 8,
                 connect_timeout_s: float = 10.0, owner_name: str | None = None) -> None:
        self.clock = clock
        self.owner = process_identity(owner_name)
        self.where = describe(url)
        with self._errors(write=True):
            self._migrate(url, connect_timeout_s)
            # A caller waits at most POOL_WAIT_S for a connection: while the database is away (a restart, a
            # failover) a tool call answers that the store is unavailable instead of hanging; the pool keeps
            # reconnecting in the background and the next call after the database is back succeeds.
            self._pool: ConnectionPool = ConnectionPool(
                url, min_size=1, max_size=max_connections, timeout=POOL_WAIT_S, open=True,
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
        except psycopg.OperationalError as exc:
            if getattr(self, "_pool", None) is None:
                raise self._error(exc, write) from None  # at start-up: the operator needs the address and the cause
            # Serving: no connection (refused, dropped, none free in time). The caller hears it briefly.
            log.warning("the job ledger (%s) is unreachable: %s", self.where, _first_line(exc))
            raise LedgerUnavailable(UNAVAILABLE) from None
        except psycopg.Error as exc:
            raise self._error(exc, write) from None

    def _error(self, exc: psycopg.Error, write: bool) -> LedgerError:
        return LedgerError(
            f"the job ledger ({self.where}) could not be {'written' if write else 'read'}: {_first_line(exc)}. Check "
            "that the database server is reachable and TALKING_VIDEO_DATABASE_URL is right, then try again."
        )

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

    @contextmanager
    def _cursor(self, *, write: bool = False) -> Iterator[_QmarkCursor]:
        with self._tx(write=write) as cur:
            yield _QmarkCursor(cur)

    def _encode_json(self, value: dict[str, Any]) -> Jsonb:
        return Jsonb(value)

    def _decode_json(self, value: Any) -> dict[str, Any]:
        return dict(value or {})

    def request_budget(self, name: str, per_minute: int) -> Budget:
        """A request budget counted in this database, shared by every process that uses the same key."""
        return PgRequestBudget(self._tx, name, per_minute)


class _QmarkCursor:
    """The shared queries' `?` placeholders on a psycopg cursor (our SQL has no literal `?` or `%`)."""

    def __init__(self, cur: psycopg.Cursor[dict[str, Any]]) -> None:
        self._cur = cur

    def execute(self, query: str, args: Any = ()) -> psycopg.Cursor[dict[str, Any]]:
        return self._cur.execute(query.replace("?", "%s").encode(), args)
