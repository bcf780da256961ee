"""The ledger interface the server uses, and the factory that picks its backend from the settings.

`TALKING_VIDEO_DATABASE_URL` unset: the SQLite ledger in TALKING_VIDEO_HOME (`JobStore`).
`TALKING_VIDEO_DATABASE_URL=postgresql://...`: PostgreSQL (`PgJobStore`; needs the `postgres` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from talking_video_mcp.errors import LedgerError

if TYPE_CHECKING:
    from talking_video_mcp.domain.records import JobRecord, NewJob
    from talking_video_mcp.names import JobStatus
    from talking_video_mcp.rate_budget import Budget
    from talking_video_mcp.settings import Settings


class Ledger(Protocol):
    """Exactly what the runner, the tools, the UI and the CLI call; every method is synchronous and
    thread-safe (callers on the event loop use `anyio.to_thread`), and raises LedgerError when the
    database cannot be read or written.

    `owner` (a job's OAuth user, `JobRecord.owner`): reads given one see only that user's jobs, and without one
    see every job (the runner, the CLI, stdio and static-token mode); idempotency keys and duplicate requests
    match within one owner, None being the implicit user of stdio and static-token mode."""

    owner: str

    def create(self, new: NewJob) -> JobRecord: ...

    def get(self, job_id: str, *, owner: str | None = None) -> JobRecord | None: ...

    def update(self, job_id: str, *, unless_canceled: bool = True, **fields: Any) -> JobRecord: ...

    def find_by_idempotency_key(self, key: str, *, owner: str | None = None) -> JobRecord | None: ...

    def find_recent_duplicate(self, request_hash: str, within_s: float, *,
                              owner: str | None = None) -> JobRecord | None: ...

    def list_jobs(self, *, status: JobStatus | None = None, model: str | None = None, limit: int = 20,
                  before: tuple[float, str] | None = None, owner: str | None = None) -> list[JobRecord]: ...

    def active_jobs(self) -> list[JobRecord]: ...

    def claim(self, job_id: str, lease_s: float) -> JobRecord | None: ...

    def release(self, job_id: str) -> None: ...

    def renew_leases(self, lease_s: float) -> set[str]: ...

    def release_all(self) -> None: ...

    def request_budget(self, name: str, per_minute: int) -> Budget:
        """The request budget for one provider key: per process on SQLite, shared through the database
        on PostgreSQL."""
        ...

    def spent_since(self, since: float, *, owner: str | None = None) -> float: ...

    def close(self) -> None: ...


def open_store(settings: Settings) -> Ledger:
    """The ledger the settings ask for (opened and migrated). Errors: sqlite3.Error/OSError for SQLite,
    LedgerError for PostgreSQL (the caller turns either into a StorageError)."""
    if settings.database_url is not None:
        try:
            from talking_video_mcp.jobs.pg_store import PgJobStore  # optional extra: psycopg may be missing
        except ImportError:
            raise LedgerError(
                "TALKING_VIDEO_DATABASE_URL is set but psycopg is not installed: "
                "pip install 'talking-video-mcp[postgres]' (or unset it to use the SQLite ledger)."
            ) from None

        return PgJobStore(settings.database_url.get_secret_value(), owner_name=settings.replica_id)
    from talking_video_mcp.jobs.store import JobStore  # the backend chosen above, only that one loaded

    return JobStore(settings.ledger_path, owner_name=settings.replica_id)
