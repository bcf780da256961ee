"""The background runner: drives every active job through its provider's steps, persists
each change before the next call, downloads results at once, and resumes after a restart."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
from anyio.abc import TaskGroup

from talking_video_mcp import http
from talking_video_mcp.errors import (
    InvalidInput,
    ProviderError,
    SubmitOutcomeUnknown,
    TalkingVideoError,
    TransientProviderError,
    redact,
)
from talking_video_mcp.jobs.store import JobRecord, JobStore
from talking_video_mcp.providers.base import Provider

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_S = 90.0
MAX_TRANSIENT_FAILURES = 12
MAX_DOWNLOAD_BYTES = 1024 * 2**20


class JobCanceled(Exception):
    """The job was canceled while a step ran; stop quietly."""


SUBMIT_UNKNOWN_HELP = (
    "It was not sent again, so you are not charged twice. Check the provider's dashboard or get_account "
    "to see whether credits were used; if not, call generate_talking_video again with force_new=true."
)


class _Control:
    """`JobControl` for one job run: every write goes to the ledger before the caller goes on."""

    def __init__(self, runner: JobRunner, job: JobRecord) -> None:
        self._runner = runner
        self._job = job
        self.submit_attempted = False

    @property
    def job(self) -> JobRecord:
        return self._job

    @property
    def scratch_dir(self) -> Path:
        return self._runner.scratch_dir

    def cancelled(self) -> bool:
        return self._job.id in self._runner.cancel_requested

    def scaled(self, seconds: float) -> float:
        return seconds / self._runner.time_scale

    async def update(self, **fields: Any) -> JobRecord:
        job = await self._runner.write(self._job.id, **fields)
        self._job = job
        if job.status == "canceled":
            raise JobCanceled
        return job

    async def paid_submit(self, label: str, call: Callable[[], Awaitable[T]]) -> T:
        if self.cancelled():
            raise JobCanceled
        await self.update(pending_submit=label, step=self._job.step)
        self.submit_attempted = True
        try:
            result = await call()
        except SubmitOutcomeUnknown:
            raise
        except TalkingVideoError as exc:
            await self._runner.write(self._job.id, pending_submit=None)
            raise ProviderError(f"{exc} Nothing was charged.") from None
        self._job = await self._runner.write(
            self._job.id, pending_submit=None, submitted_at=self._runner.clock(), unless_canceled=False
        )
        return result

    async def download(self, url: str, *, suffix: str = ".mp4", field: str = "video_path") -> Path:
        dest = self._runner.videos_dir / f"{self._job.id}{suffix}"
        await self._runner.fetch_file(url, dest, video=suffix == ".mp4")
        await self.update(**{field: str(dest)})
        return dest

    async def finish(self, **fields: Any) -> JobRecord:
        return await self.update(status="completed", progress=1.0, step=None, finished_at=self._runner.clock(),
                                 next_check_at=0, **fields)

    async def fail(self, message: str, *, status: str = "failed") -> JobRecord:
        return await self.update(status=status, error=message, finished_at=self._runner.clock(), step=self._job.step)


class JobRunner:
    """One per server process. Tools write jobs; the runner moves them on."""

    def __init__(
        self,
        store: JobStore,
        providers: Mapping[str, Provider],
        *,
        home: Path,
        client: httpx.AsyncClient,
        secrets: list[str],
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.time,
        max_concurrency: int = 32,
    ) -> None:
        self.store = store
        self.providers = providers
        self.videos_dir = home / "videos"
        self.scratch_dir = home / "scratch"
        self.videos_dir.mkdir(parents=True, exist_ok=True)
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        self.client = client
        self.secrets = secrets
        self.time_scale = time_scale
        self.clock = clock
        self.cancel_requested: set[str] = set()
        self._running: set[str] = set()
        self._failures: dict[str, int] = {}
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._wake = anyio.Event()
        self._changed: dict[str, anyio.Event] = {}
        self._tg: TaskGroup | None = None

    # ---------------------------------------------------------------- ledger access

    async def write(self, job_id: str, **fields: Any) -> JobRecord:
        job = await anyio.to_thread.run_sync(lambda: self.store.update(job_id, **fields))
        self._notify(job_id)
        return job

    def _notify(self, job_id: str) -> None:
        event = self._changed.pop(job_id, None)
        if event is not None:
            event.set()

    async def wait_for_change(self, job_id: str, max_wait_s: float) -> None:
        """Return when the job's row changes, or after `timeout` seconds."""
        event = self._changed.setdefault(job_id, anyio.Event())
        with anyio.move_on_after(max_wait_s):
            await event.wait()

    def wake(self) -> None:
        self._wake.set()

    # ---------------------------------------------------------------- lifecycle

    async def recover(self) -> None:
        """After a crash: a paid submit that was in flight is never re-sent."""
        for job in await anyio.to_thread.run_sync(self.store.active_jobs):
            if job.pending_submit:
                await self.write(
                    job.id, status="submit_unknown", pending_submit=None, finished_at=self.clock(),
                    error=f"The server stopped while the paid submit ({job.pending_submit}) was in flight. "
                    + SUBMIT_UNKNOWN_HELP,
                )

    async def run(self) -> None:
        """Run until cancelled (the server lifespan owns the task)."""
        await self.recover()
        async with anyio.create_task_group() as tg:
            self._tg = tg
            while True:
                self._wake = anyio.Event()
                wait = await self._dispatch_due(tg)
                with anyio.move_on_after(wait):
                    await self._wake.wait()

    async def _dispatch_due(self, tg: TaskGroup) -> float:
        jobs = await anyio.to_thread.run_sync(self.store.active_jobs)
        now = self.clock()
        next_wait = 5.0
        for job in jobs:
            if job.id in self._running:
                continue
            due_in = job.next_check_at - now
            if due_in <= 0:
                self._running.add(job.id)
                tg.start_soon(self._drive, job.id)
            else:
                next_wait = min(next_wait, due_in)
        return max(0.01, next_wait)

    async def _drive(self, job_id: str) -> None:
        try:
            async with self._limiter:
                await self._drive_once(job_id)
        finally:
            self._running.discard(job_id)
            self.wake()

    async def _drive_once(self, job_id: str) -> None:
        job = await anyio.to_thread.run_sync(lambda: self.store.claim(job_id, LEASE_S))
        if job is None:
            return
        provider = self.providers.get(job.provider)
        if provider is None:
            await self.write(job.id, status="failed", error=f"provider {job.provider!r} is not available here")
            return
        ctl = _Control(self, job)
        try:
            delay = await provider.advance(job, ctl)
        except JobCanceled:
            return
        except SubmitOutcomeUnknown as exc:
            await self.write(job.id, status="submit_unknown", pending_submit=None, finished_at=self.clock(),
                             error=f"{self._clean(exc)} {SUBMIT_UNKNOWN_HELP}")
            return
        except InvalidInput as exc:
            await self.write(job.id, status="failed", finished_at=self.clock(), error=self._clean(exc))
            return
        except ProviderError as exc:
            if exc.retryable and not ctl.submit_attempted and not ctl.job.pending_submit:
                await self._retry_later(ctl.job, exc)
                return
            await self.write(job.id, status="failed", finished_at=self.clock(), pending_submit=None,
                             error=self._clean(exc))
            return
        except TalkingVideoError as exc:
            await self.write(job.id, status="failed", finished_at=self.clock(), error=self._clean(exc))
            return
        except Exception as exc:
            log.exception("job %s: unexpected error in step %s", job.id, ctl.job.step)
            if ctl.job.pending_submit:
                await self.write(job.id, status="submit_unknown", pending_submit=None, finished_at=self.clock(),
                                 error="An internal error interrupted the paid submit. " + SUBMIT_UNKNOWN_HELP)
            else:
                await self.write(job.id, status="failed", finished_at=self.clock(),
                                 error=f"internal error in step {ctl.job.step}: {type(exc).__name__}")
            return
        self._failures.pop(job.id, None)
        if delay is not None and ctl.job.active:
            await self.write(job.id, next_check_at=self.clock() + delay)

    async def _retry_later(self, job: JobRecord, exc: ProviderError) -> None:
        count = self._failures.get(job.id, 0) + 1
        self._failures[job.id] = count
        if count > MAX_TRANSIENT_FAILURES:
            await self.write(job.id, status="failed", finished_at=self.clock(),
                             error=f"gave up after {count - 1} failed attempts: {self._clean(exc)}")
            return
        delay = min(120.0, 2.0 * 2 ** min(count, 6)) / max(self.time_scale, 1.0)
        log.info("job %s: step %s will be retried in %.1fs: %s", job.id, job.step, delay, self._clean(exc))
        await self.write(job.id, next_check_at=self.clock() + delay)

    def _clean(self, exc: BaseException) -> str:
        return redact(str(exc), self.secrets)

    # ---------------------------------------------------------------- cancel

    async def cancel(self, job_id: str) -> JobRecord | None:
        job = await anyio.to_thread.run_sync(lambda: self.store.get(job_id))
        if job is None or not job.active:
            return job
        self.cancel_requested.add(job_id)
        job = await self.write(job_id, status="canceled", finished_at=self.clock(), unless_canceled=False,
                               error="Canceled at your request.")
        self.wake()
        return job

    # ---------------------------------------------------------------- downloads

    async def fetch_file(self, url: str, dest: Path, *, video: bool) -> None:
        """Stream to a temp file beside `dest`, check it, then rename: no half-written results."""
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            async with self.client.stream("GET", url) as response:
                if response.status_code in http.RETRYABLE_STATUS:
                    raise TransientProviderError(
                        f"the result download answered HTTP {response.status_code}", status_code=response.status_code
                    )
                if response.status_code >= 400:
                    raise ProviderError(
                        f"the result file could not be downloaded (HTTP {response.status_code}); the provider "
                        f"may have removed it. URL: {url}", status_code=response.status_code, retryable=True,
                    )
                expected = int(response.headers.get("content-length") or 0)
                size = 0
                with tmp.open("wb") as fh:
                    async for chunk in response.aiter_bytes(1 << 16):
                        size += len(chunk)
                        if size > MAX_DOWNLOAD_BYTES:
                            raise ProviderError("the result file is larger than 1 GiB; refusing to store it")
                        fh.write(chunk)
            if expected and size != expected:
                raise TransientProviderError(f"the result download was cut short ({size} of {expected} bytes)")
            if video:
                await anyio.to_thread.run_sync(_check_video, tmp)
            os.replace(tmp, dest)
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise TransientProviderError(f"the result download failed ({type(exc).__name__})") from None
        finally:
            tmp.unlink(missing_ok=True)


def _check_video(path: Path) -> None:
    from talking_video_mcp.media.video import probe_video

    try:
        probe_video(path)
    except ValueError as exc:
        raise TransientProviderError(f"the downloaded video is damaged ({exc})") from None
