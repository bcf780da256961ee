"""check_video_status, list_jobs and cancel_job: reads of the ledger plus bounded waits."""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from pathlib import PurePath
from typing import TypeVar

import anyio

from talking_video_mcp.domain.eta import RenderQueue
from talking_video_mcp.domain.provider import CancelOutcome, CancelsRemotely, DescribesJobs
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.errors import InvalidInput, JobNotFound, StorageError, TalkingVideoError
from talking_video_mcp.models import JobList, JobStatus, JobView
from talking_video_mcp.services import Services
from talking_video_mcp.tools.views import job_view

Progress = Callable[[float, str], Awaitable[None]]
log = logging.getLogger(__name__)
T = TypeVar("T")

# The base URL of the HTTP request being answered; None over stdio, where jobs carry no download link. Set
# per request by the MCP wiring (server/common.py); links use TALKING_VIDEO_PUBLIC_URL instead when it is set.
request_base: ContextVar[str | None] = ContextVar("request_base", default=None)


def view(state: Services, job: JobRecord, queue: RenderQueue | None = None) -> JobView:
    """The job as the assistant sees it; pass `queue` (render_queue) to say where a job waiting for a render
    slot stands."""
    try:
        typical = state.registry.spec(job.model).typical_seconds
    except InvalidInput:
        typical = None
    # Work on this machine runs in real seconds; only the cloud providers' (keyed) emulator runs faster.
    scale = state.settings.time_scale if state.registry.key_env(job.provider) else 1.0
    result = job_view(job, typical_seconds=typical, time_scale=scale, queue=queue,
                      download_url=download_url(state, job))
    provider = state.registry.providers.get(job.provider)
    told = provider.describe(job) if job.active and isinstance(provider, DescribesJobs) else None
    if told is not None:  # what the provider itself says (its queue, its log) beats the typical time
        result.detail = told.detail or result.detail
        result.eta_seconds = told.eta_seconds if told.eta_seconds is not None else result.eta_seconds
    return result


def download_url(state: Services, job: JobRecord) -> str | None:
    """Over HTTP, a finished video's (or a text_to_speech job's audio's) link for its owner: presigned from the
    store, or signed by this server."""
    base = request_base.get()
    speech = job.kind == "speech" and bool(job.audio_path) and not job.video_path
    if base is None or job.status != "completed" or not (job.video_path or speech):
        return None
    suffix = PurePath(job.audio_path or "").suffix.lower() if speech else ".mp4"
    if suffix not in (".mp4", ".wav", ".mp3", ".m4a", ".ogg"):
        return None
    try:
        return state.downloads.url(job.id, job.owner, base=base, stored_key=job.state.get("storage_key"),
                                   suffix=suffix)
    except StorageError as exc:  # the job is still worth showing; the log says why it has no link
        log.warning("job %s: no download link: %s", job.id, exc)
        return None


def render_queue(state: Services) -> RenderQueue:
    """Blocking (call it in a thread): the local jobs waiting for a render slot, in the runner's order."""
    heavy = {p.name: p.heavy_steps for p in state.registry}
    return RenderQueue.of(state.store.active_jobs(), heavy)


def may_wait_for_slot(state: Services, jobs: Sequence[JobRecord]) -> bool:
    """Whether any of `jobs` may be waiting for a render slot: only then is the render queue worth reading."""
    for job in jobs:
        provider = state.registry.providers.get(job.provider)
        if provider is not None and job.status == "queued" and job.step in provider.heavy_steps:
            return True
    return False


async def read(state: Services, fetch: Callable[[], T]) -> T:
    """A ledger read: on the event loop when the ledger can answer at once (SQLite, connection free), else in a
    worker thread (PostgreSQL, or the connection busy with a write), which under load costs the call more."""
    now = getattr(state.store, "read_now", None)
    if now is not None:
        done, value = now(fetch)
        if done:
            return value  # type: ignore[no-any-return]
    return await anyio.to_thread.run_sync(fetch)


async def current_view(state: Services, job: JobRecord) -> JobView:
    """`view`, with the render queue read when the job may be waiting in it."""
    queue = await read(state, lambda: render_queue(state)) if may_wait_for_slot(state, [job]) else None
    return view(state, job, queue)


async def get_job(state: Services, job_id: str) -> JobRecord:
    # Another user's job answers exactly like an unknown id.
    job = await read(state, lambda: state.store.get(job_id.strip(), owner=state.owner_id))
    if job is None:
        raise JobNotFound(f"job_id {job_id!r} is not in the ledger; call list_jobs to see the jobs there are.")
    return job


async def check_video_status(
    state: Services, job_id: str, wait_seconds: float = 0, progress: Progress | None = None
) -> JobView:
    """Return the job now, or wait up to `wait_seconds` for it to finish, reporting progress meanwhile."""
    job = await get_job(state, job_id)
    deadline = anyio.current_time() + max(0.0, min(55.0, wait_seconds))
    while job.active and anyio.current_time() < deadline:
        if progress is not None:
            await progress(job.progress, f"{job.status}{f' ({job.step})' if job.step else ''}")
        await state.runner.wait_for_change(job.id, min(1.0, deadline - anyio.current_time()))
        job = await get_job(state, job_id)
    if progress is not None and wait_seconds > 0:
        await progress(job.progress, job.status)
    return await current_view(state, job)


def _encode_cursor(job: JobRecord) -> str:
    return base64.urlsafe_b64encode(f"{job.created_at!r}|{job.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        created, _, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return float(created), job_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor", "is not a cursor from list_jobs; omit it to start from the newest job.") from None


async def list_jobs(
    state: Services,
    *,
    status: JobStatus | None = None,
    model: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> JobList:
    before = _decode_cursor(cursor) if cursor else None
    if model is not None:
        state.registry.spec(model)  # an unknown id is refused with the ids there are, not answered with nothing
    rows = await read(state, lambda: state.store.list_jobs(status=status, model=model, limit=limit + 1,
                                                           before=before, owner=state.owner_id))
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1]) if len(rows) > limit and page else None
    queue = await read(state, lambda: render_queue(state)) if may_wait_for_slot(state, page) else None
    return JobList(jobs=[view(state, r, queue) for r in page], next_cursor=next_cursor)


async def cancel_job(state: Services, job_id: str) -> JobView:
    job = await get_job(state, job_id)
    if not job.active:
        result = view(state, job)
        result.next_step = f"Nothing to cancel: the job is already {job.status}."
        return result
    title = state.registry.title(job.provider)
    provider = state.registry.providers.get(job.provider)
    outcome: CancelOutcome | None = None
    if job.submitted_at and isinstance(provider, CancelsRemotely):
        try:
            outcome = await provider.cancel(job)
        except TalkingVideoError as exc:
            log.warning("job %s: the cancel request to %s failed: %s", job.id, job.provider, exc)
            outcome = CancelOutcome("NOT_SENT", f"The cancel request could not reach {title} ({exc}); it may still "
                                    "finish and bill the job.")
    if outcome is not None and outcome.finished:  # made already: the job goes on to fetch it
        result = view(state, await get_job(state, job_id))
        result.next_step = f"{outcome.sentence} Call check_video_status to follow it."
        return result
    canceled = await state.runner.cancel(job.id) or job
    if outcome is not None and outcome.estimate_returned and canceled.cost_estimate_usd:
        # Nothing will be billed: the estimate the daily budget counted is given back.
        canceled = await state.runner.write(job.id, cost_estimate_usd=0.0, unless_canceled=False)
    result = view(state, canceled)
    if outcome is not None:
        result.next_step = outcome.sentence
    elif state.registry.key_env(job.provider) and job.submitted_at:
        result.next_step = (
            f"Polling stopped and the job is marked canceled. {title} cannot cancel a job remotely, so it may "
            "still finish and bill the job."
        )
    else:
        result.next_step = "Canceled before anything was charged."
    return result
