"""The SQLite job ledger (WAL), the default: a job row exists before any money is spent, and every
state change is written before the next network call that depends on it."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from talking_video_mcp.domain.records import process_identity
from talking_video_mcp.errors import LedgerError
from talking_video_mcp.jobs.sql_ledger import SqlLedger, add_columns_sql, create_table_sql
from talking_video_mcp.rate_budget import Budget, RequestBudget

# Applied in order, recorded in PRAGMA user_version. Each version's columns are declared in records.py
# (`column(..., since=N)`).
_MIGRATIONS: dict[int, list[str]] = {
    1: [
        create_table_sql("sqlite"),
        "CREATE INDEX jobs_active ON jobs(status, next_check_at)",
        "CREATE INDEX jobs_created ON jobs(created_at)",
        "CREATE UNIQUE INDEX jobs_idem ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL",
        "CREATE INDEX jobs_hash ON jobs(request_hash, created_at)",
    ],
    # Jobs have owners (OAuth users): idempotency keys are unique per owner.
    2: [
        *add_columns_sql("sqlite", 2),
        "DROP INDEX jobs_idem",
        "CREATE UNIQUE INDEX jobs_idem ON jobs(COALESCE(owner, ''), idempotency_key) "
        "WHERE idempotency_key IS NOT NULL",
        "CREATE INDEX jobs_owner ON jobs(owner, created_at)",
    ],
}
SCHEMA_VERSION = max(_MIGRATIONS)
T = TypeVar("T")


class JobStore(SqlLedger):
    """Synchronous, thread-safe ledger; callers on the event loop use `anyio.to_thread`."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time, owner_name: str | None = None) -> None:
        self.path = path
        self.clock = clock
        self.owner = process_identity(owner_name)
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

    def read_now(self, read: Callable[[], T]) -> tuple[bool, T | None]:
        """(True, read()) when no other thread holds the connection, else (False, None) and the caller reads in a
        thread. A read of this WAL database takes microseconds, while a hop to a worker thread under load costs
        the event loop milliseconds (the GIL's switch interval): cheap reads are answered on the loop."""
        if not self._lock.acquire(blocking=False):
            return False, None
        try:
            return True, read()
        finally:
            self._lock.release()

    @contextmanager
    def _cursor(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection under the lock; writes in one BEGIN IMMEDIATE transaction. A database error (a
        full disk, a locked or damaged file) becomes one clear LedgerError."""
        with self._lock:
            try:
                if not write:
                    yield self._conn
                    return
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                    self._conn.execute("COMMIT")
                except BaseException:
                    # Also when COMMIT itself failed (SQLITE_FULL): an open transaction would block every later write.
                    if self._conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise LedgerError(
                    f"the job ledger ({self.path}) could not be {'written' if write else 'read'}: {exc}. Free disk "
                    "space (or fix TALKING_VIDEO_HOME) and try again."
                ) from None

    def _encode_json(self, value: dict[str, Any]) -> str:
        return json.dumps(value)

    def _decode_json(self, value: Any) -> dict[str, Any]:
        return dict(json.loads(value)) if value else {}

    def _migrate(self) -> None:
        # A ledger already at this version is only read: every server start opens it (serve's check, then the
        # services), and a write transaction there costs a WAL sync and checkpoint (about 8 ms, measured).
        with self._cursor() as conn:
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
                return
        with self._cursor(write=True) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={target}")

    def request_budget(self, name: str, per_minute: int) -> Budget:
        """One process per SQLite ledger drives the jobs of a key at a time: an in-process window."""
        return RequestBudget(per_minute)
