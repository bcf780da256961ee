"""The job record: one row of the ledger, as both backends store it and every layer reads it.

The dataclass is also the ledger's table description: each field names its column type (`column`), so
the SQLite DDL is made from it and the PostgreSQL migrations are checked against it (jobs/table.py)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from talking_video_mcp.names import ACTIVE_STATUSES, JobStatus

if TYPE_CHECKING:
    from talking_video_mcp.domain.requests import StoredRequest

ColumnType = Literal["text", "real", "integer", "json", "request"]


def column(kind: ColumnType, *, default: Any = None, required: bool = False, updatable: bool = False,
           since: int = 1) -> Any:
    """A record field that is also a ledger column. `required`: NOT NULL without a default. `since`: the
    ledger schema version that added it (the SQLite migrations add the later ones to older ledgers)."""
    meta = {"column": kind, "required": required, "updatable": updatable, "since": since}
    if kind == "json":
        return field(default_factory=dict, metadata=meta)
    if required:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class JobRecord:
    id: str = column("text", required=True)
    model: str = column("text", required=True)
    provider: str = column("text", required=True)
    kind: str = column("text", required=True)
    status: JobStatus = column("text", required=True, updatable=True)
    request: StoredRequest = column("request", required=True)
    created_at: float = column("real", required=True)
    updated_at: float = column("real", required=True)
    step: str | None = column("text", updatable=True)
    progress: float = column("real", default=0.0, updatable=True)
    state: dict[str, Any] = column("json", updatable=True)
    pending_submit: str | None = column("text", updatable=True)
    output_url: str | None = column("text", updatable=True)
    video_path: str | None = column("text", updatable=True)
    audio_path: str | None = column("text", updatable=True)
    error: str | None = column("text", updatable=True)
    cost_estimate_usd: float | None = column("real", updatable=True)
    idempotency_key: str | None = column("text")
    request_hash: str | None = column("text")
    submitted_at: float | None = column("real", updatable=True)
    finished_at: float | None = column("real", updatable=True)
    next_check_at: float = column("real", default=0.0, updatable=True)
    polls: int = column("integer", default=0, updatable=True)
    lease_owner: str | None = column("text")
    lease_until: float = column("real", default=0.0)
    # Who made the job (OAuth): the token's subject, or "client:<client_id>" for a token without one; None is
    # the one implicit user of stdio and static-token mode. Jobs are shown, read, canceled, counted against a
    # user's budget and matched by idempotency key only for their owner (see `Owner`).
    owner: str | None = column("text", since=2)
    owner_client: str | None = column("text", since=2)  # the OAuth client it came through, for the record

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnType
    required: bool
    default: Any
    updatable: bool
    since: int


COLUMNS: tuple[Column, ...] = tuple(
    Column(f.name, f.metadata["column"], f.metadata["required"], None if f.default is MISSING else f.default,
           f.metadata["updatable"], f.metadata["since"])
    for f in fields(JobRecord)
)
"""The ledger's `jobs` table, in column order."""
UPDATABLE: frozenset[str] = frozenset(c.name for c in COLUMNS if c.updatable)


def check_updatable(changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Owner:
    """The signed-in user a request comes from (OAuth). Without one (stdio, static token) there is one
    implicit user, who sees every job."""

    id: str
    client: str | None = None

    @classmethod
    def of_token(cls, subject: str | None, client_id: str) -> Owner:
        """The token's subject; a token without one (some client-credentials tokens) is its client's."""
        return cls(id=subject or f"client:{client_id}", client=client_id)


@dataclass(frozen=True)
class NewJob:
    """What a job is created from: a prepared request, and how it was asked for."""

    request: StoredRequest
    provider: str
    kind: str = "talking_video"
    cost_estimate_usd: float | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    step: str | None = None
    job_id: str | None = None
    owner: Owner | None = None

    def record(self, now: float) -> JobRecord:
        """The queued job as both backends insert it."""
        return JobRecord(
            id=self.job_id or f"job_{uuid.uuid4().hex[:16]}", model=self.request.model, provider=self.provider,
            kind=self.kind, status="queued", step=self.step, request=self.request, created_at=now, updated_at=now,
            cost_estimate_usd=self.cost_estimate_usd, idempotency_key=self.idempotency_key,
            request_hash=self.request_hash, owner=self.owner.id if self.owner else None,
            owner_client=self.owner.client if self.owner else None,
        )


# ------------------------------------------------------------------ lease owners


def process_identity(name: str | None = None) -> str:
    """host:pid:tag, unique per process; `owner_alive` reads the host and pid back."""
    return f"{socket.gethostname()}:{os.getpid()}:{name or uuid.uuid4().hex[:8]}"


def pid_alive(pid: int) -> bool:
    """True unless no process `pid` runs on this host (a SIGKILLed one does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_alive(owner: str) -> bool:
    """True when a lease owner may still run: on another host we cannot tell, so yes."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    return pid_alive(int(pid_text))


def held_by_another(owner: str | None, lease_until: float, me: str, now: float) -> bool:
    """A lease this process must respect: another owner's, unexpired, and not a dead process on this host."""
    return bool(owner) and owner != me and lease_until > now and owner_alive(str(owner))
