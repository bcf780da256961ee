"""What the SQLite and PostgreSQL ledgers share: the table description, the rules written in SQL, and
every query. A backend supplies only its connection, its JSON encoding and its row locking.

Queries use `?` placeholders; the PostgreSQL backend's cursor turns them into psycopg's `%s`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from talking_video_mcp.domain.records import COLUMNS, Column, JobRecord, NewJob, check_updatable, held_by_another
from talking_video_mcp.names import ACTIVE_STATUSES, JobStatus

SPEND_COUNTS_SQL = (
    "COALESCE(cost_estimate_usd, 0) > 0 AND (submitted_at IS NOT NULL OR status IN ('queued', 'processing', "
    "'submit_unknown', 'completed'))"
)
"""Jobs whose estimate counts against the daily budget: submitted, or about to be, or maybe submitted."""
REUSABLE_SQL = "status NOT IN ('failed', 'canceled', 'expired')"
"""Jobs an identical request may be answered with (re-calls after a client timeout)."""
SAME_OWNER_SQL = "COALESCE(owner, '') = ?"
"""Jobs of one owner, the implicit user (NULL) as ''; the form the idempotency index is on."""
ACTIVE_SQL = f"status IN ({', '.join(repr(s) for s in sorted(ACTIVE_STATUSES))})"
"""Jobs the runner still drives (models.ACTIVE_STATUSES)."""

_SQL_TYPES = {
    "sqlite": {"text": "TEXT", "real": "REAL", "integer": "INTEGER", "json": "TEXT", "request": "TEXT"},
    "postgresql": {
        "text": "TEXT", "real": "DOUBLE PRECISION", "integer": "INTEGER", "json": "JSONB", "request": "JSONB",
    },
}
JSON_KINDS = frozenset({"json", "request"})
_REQUESTS_KEPT = 4096  # job requests kept read (SqlLedger._row)


def column_types(dialect: str) -> dict[str, str]:
    """Column name → SQL type, as the table description says for this dialect."""
    types = _SQL_TYPES[dialect]
    return {c.name: types[c.kind] for c in COLUMNS}


def _column_sql(dialect: str, c: Column) -> str:
    line = f"{c.name} {_SQL_TYPES[dialect][c.kind]}"
    if c.name == "id":
        line += " PRIMARY KEY"
    elif c.required or c.default is not None or c.kind == "json":
        line += " NOT NULL"
    if c.kind == "json":
        line += " DEFAULT '{}'"
    elif c.default is not None:
        line += f" DEFAULT {c.default!r}"
    return line


def create_table_sql(dialect: str, version: int = 1) -> str:
    """CREATE TABLE jobs as schema `version` had it, made from the record's column declarations."""
    lines = [_column_sql(dialect, c) for c in COLUMNS if c.since <= version]
    return "CREATE TABLE jobs (\n    " + ",\n    ".join(lines) + "\n)"


def add_columns_sql(dialect: str, version: int) -> list[str]:
    """ALTER TABLE statements adding the columns schema `version` introduced."""
    return [f"ALTER TABLE jobs ADD COLUMN {_column_sql(dialect, c)}" for c in COLUMNS if c.since == version]


class Cursor(Protocol):
    def execute(self, query: str, args: Any = ...) -> Any: ...


class SqlLedger:
    """The ledger's queries over a backend's connection (see `talking_video_mcp.jobs.ledger.Ledger`)."""

    owner: str
    clock: Callable[[], float] = time.time
    # Appended to the SELECT that claim() runs before taking a lease.
    _claim_lock = ""

    def _cursor(self, *, write: bool = False) -> AbstractContextManager[Cursor]:
        """One transaction; rows come back as mappings; database errors become LedgerError."""
        raise NotImplementedError

    def _encode_json(self, value: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _decode_json(self, value: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _row(self, row: Mapping[str, Any]) -> JobRecord:
        # The request models load with the first row, not when `serve` checks the ledger at start-up (measured:
        # about 6 ms of pydantic class building that the first answers do not need).
        from talking_video_mcp.domain.requests import load_request

        data = dict(row)
        data["state"] = self._decode_json(data["state"])
        # A job's request never changes once written, and reading it back (a pydantic model per row) was most of
        # what a list_jobs page cost: each is read once per process.
        requests = self.__dict__.setdefault("_requests_read", {})
        request = requests.get(data["id"])
        if request is None or request[0] != data["model"]:
            if len(requests) >= _REQUESTS_KEPT:
                requests.clear()
            request = requests[data["id"]] = (data["model"], load_request(data["model"],
                                                                          self._decode_json(data["request"])))
        data["request"] = request[1]
        return JobRecord(**data)

    def _encoded(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        from talking_video_mcp.domain.requests import dump_request  # see _row

        data = dict(changes)
        if "state" in data:
            data["state"] = self._encode_json(data["state"])
        if "request" in data:
            data["request"] = self._encode_json(dump_request(data["request"]))
        return data

    def _one(self, query: str, args: Any = (), *, write: bool = False) -> JobRecord | None:
        with self._cursor(write=write) as cur:
            row = cur.execute(query, args).fetchone()
        return self._row(row) if row else None

    def _many(self, query: str, args: Any = ()) -> list[JobRecord]:
        with self._cursor() as cur:
            rows = cur.execute(query, args).fetchall()
        return [self._row(r) for r in rows]

    def create(self, new: NewJob) -> JobRecord:
        record = new.record(self.clock())
        data = self._encoded({c.name: getattr(record, c.name) for c in COLUMNS})
        query = f"INSERT INTO jobs ({', '.join(data)}) VALUES ({', '.join('?' for _ in data)})"  # noqa: S608
        with self._cursor(write=True) as cur:
            cur.execute(query, list(data.values()))
        return record

    def get(self, job_id: str, *, owner: str | None = None) -> JobRecord | None:
        """The job; with `owner`, only if it is theirs (another user's job is as unknown as a missing one)."""
        if owner is not None:
            return self._one("SELECT * FROM jobs WHERE id = ? AND owner = ?", (job_id, owner))
        return self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    def update(self, job_id: str, *, unless_canceled: bool = True, **changes: Any) -> JobRecord:
        """Write fields; by default a canceled job is left as it is (a late poll must not revive it)."""
        check_updatable(changes)
        data = {**self._encoded(changes), "updated_at": self.clock()}
        guard = " AND status != 'canceled'" if unless_canceled else ""
        assignments = ", ".join(f"{name} = ?" for name in data)  # names checked against the table above
        with self._cursor(write=True) as cur:
            cur.execute(f"UPDATE jobs SET {assignments} WHERE id = ?{guard}", [*data.values(), job_id])  # noqa: S608
            row = cur.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return self._row(row)

    def find_by_idempotency_key(self, key: str, *, owner: str | None = None) -> JobRecord | None:
        """The owner's job with this key (keys are per user; `owner=None` is the implicit user)."""
        return self._one(f"SELECT * FROM jobs WHERE idempotency_key = ? AND {SAME_OWNER_SQL}", (key, owner or ""))  # noqa: S608

    def find_recent_duplicate(self, request_hash: str, within_s: float, *,
                              owner: str | None = None) -> JobRecord | None:
        """The owner's job with the same request made recently that has not failed (re-calls after a client
        timeout); `owner=None` is the implicit user."""
        return self._one(
            f"SELECT * FROM jobs WHERE request_hash = ? AND created_at >= ? AND {REUSABLE_SQL} "  # noqa: S608
            f"AND {SAME_OWNER_SQL} ORDER BY created_at DESC LIMIT 1",
            (request_hash, self.clock() - within_s, owner or ""),
        )

    def list_jobs(
        self,
        *,
        status: JobStatus | None = None,
        model: str | None = None,
        limit: int = 20,
        before: tuple[float, str] | None = None,
        owner: str | None = None,
    ) -> list[JobRecord]:
        """Newest first; with `owner`, only that user's jobs."""
        clauses: list[str] = []
        args: list[Any] = []
        if owner is not None:
            clauses.append("owner = ?")
            args.append(owner)
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
        return self._many(f"SELECT * FROM jobs {where} ORDER BY created_at DESC, id DESC LIMIT ?", [*args, limit])  # noqa: S608

    def active_jobs(self) -> list[JobRecord]:
        return self._many(f"SELECT * FROM jobs WHERE {ACTIVE_SQL} ORDER BY next_check_at, id")  # noqa: S608

    def claim(self, job_id: str, lease_s: float) -> JobRecord | None:
        """Take the job for this process for `lease_s` seconds, unless a live process holds it.

        The row is locked for the check and the write, so the loser of a race sees the winner's lease.
        A lease from another host is honoured until it runs out."""
        now = self.clock()
        with self._cursor(write=True) as cur:
            row = cur.execute(f"SELECT * FROM jobs WHERE id = ?{self._claim_lock}", (job_id,)).fetchone()  # noqa: S608
            if row is None or row["status"] not in ACTIVE_STATUSES:
                return None
            if held_by_another(row["lease_owner"], row["lease_until"], self.owner, now):
                return None
            row = cur.execute(
                "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ? RETURNING *",
                (self.owner, now + lease_s, job_id),
            ).fetchone()
        return self._row(row) if row else None

    def release(self, job_id: str) -> None:
        with self._cursor(write=True) as cur:
            cur.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?",
                (job_id, self.owner),
            )

    def renew_leases(self, lease_s: float) -> set[str]:
        """Extend every lease this process holds on an active job; the ids it still holds."""
        with self._cursor(write=True) as cur:
            rows = cur.execute(
                f"UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND {ACTIVE_SQL} RETURNING id",  # noqa: S608
                (self.clock() + lease_s, self.owner),
            ).fetchall()
        return {str(row["id"]) for row in rows}

    def release_all(self) -> None:
        """At shutdown: hand every job this process holds to the next process that looks."""
        with self._cursor(write=True) as cur:
            cur.execute("UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?", (self.owner,))

    def spent_since(self, since: float, *, owner: str | None = None) -> float:
        """Estimated spend of jobs that were (or may have been) submitted since `since`: everyone's, or with
        `owner` that user's."""
        mine = " AND owner = ?" if owner is not None else ""
        with self._cursor() as cur:
            row = cur.execute(
                f"SELECT COALESCE(SUM(cost_estimate_usd), 0) AS spent FROM jobs WHERE created_at >= ? "  # noqa: S608
                f"AND {SPEND_COUNTS_SQL}{mine}",
                (since, owner) if owner is not None else (since,),
            ).fetchone()
        return float(row["spent"]) if row else 0.0

