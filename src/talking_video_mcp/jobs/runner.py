"""The background runner: drives every active job through its provider's steps, persists
each change before the next call, downloads results at once, and resumes after a restart."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
from anyio.abc import TaskGroup

from talking_video_mcp import provider_http
from talking_video_mcp.domain.fair import fair_order
from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.domain.records import JobRecord, held_by_another, pid_alive
from talking_video_mcp.errors import (
    LedgerError,
    LedgerUnavailable,
    ProviderError,
    StorageError,
    SubmitOutcomeUnknown,
    TalkingVideoError,
    TransientProviderError,
    redact,
)
from talking_video_mcp.jobs.ledger import Ledger
from talking_video_mcp.media.download import stream_body
from talking_video_mcp.media.video import probe_video
from talking_video_mcp.models import JobStatus
from talking_video_mcp.storage import S3Storage, StorageUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# A job is held by one process at a time through a lease in the ledger. The holder renews its leases
# every HEARTBEAT_S, so a process that dies (or loses the database) lets go within LEASE_S and another
# process takes its jobs over at its next look (at most DISPATCH_MAX_WAIT_S later).
LEASE_S = 15.0
HEARTBEAT_S = 4.0
DISPATCH_MAX_WAIT_S = 5.0
MAX_TRANSIENT_FAILURES = 12
OUTAGE_WAIT_S = 120.0  # real seconds a running step waits for the ledger to come back before it breaks off
LEDGER_RETRY_S = 2.0  # real seconds: how soon a job whose progress could not be recorded is tried again
MAX_DOWNLOAD_BYTES = 1024 * 2**20
STALE_PART_S = 900.0  # a download writes every few ms; a `.part` untouched this long has no writer
# The runner's own last step with S3 storage: the finished video is uploaded before the job is completed.
STORE_STEP = "store"
STORE_RETRY_MAX_S = 30.0  # real seconds: how long a store that cannot be reached waits at most between tries


class JobCanceled(Exception):
    """The job was canceled while a step ran; stop quietly."""


SUBMIT_UNKNOWN_HELP = (
    "It was not sent again, so you are not charged twice. Check the provider's dashboard or get_account "
    "to see whether credits were used; if not, call generate_talking_video again with force_new=true."
)
NOTHING_CHARGED = "Nothing was charged."
# Provider ids a job's state may hold, named in messages so the user can find the job at the provider.


def nothing_charged(message: str) -> str:
    """`message`, saying (once) that the provider charged nothing."""
    if "nothing was charged" in message.lower():
        return message
    return f"{message.rstrip(' .')}. {NOTHING_CHARGED}"


class _Control:
    """`JobControl` for one job run: every write goes to the ledger before the caller goes on."""

    def __init__(self, runner: JobRunner, job: JobRecord) -> None:
        self._runner = runner
        self._job = job
        self.submit_attempted = False
        # Set when a paid submit was answered and the provider has not yet recorded what it answered.
        self._answered_at: float | None = None

    @property
    def submit_unrecorded(self) -> bool:
        """A paid submit was answered, but its outcome (the provider's id) is not in the ledger yet."""
        return self._answered_at is not None

    @property
    def job(self) -> JobRecord:
        return self._job

    @property
    def scratch_dir(self) -> Path:
        return self._runner.scratch_dir

    def canceled(self) -> bool:
        return self._job.id in self._runner.cancel_requested

    def scaled(self, seconds: float) -> float:
        return seconds / self._runner.time_scale

    async def update(self, **fields: Any) -> JobRecord:
        answered_at, self._answered_at = self._answered_at, None
        if answered_at is not None:
            # The first write after a paid submit's answer records the provider's id and clears the
            # in-flight mark in one transaction: a crash before it leaves the job `submit_unknown` on
            # restart, never a job that looks unsubmitted and would be sent again.
            fields.setdefault("pending_submit", None)
            fields["submitted_at"] = fields.get("submitted_at") or answered_at
        job = await self._runner.write_through(self._job.id, **fields)
        if job.status == "canceled" and answered_at is not None:
            # Canceled meanwhile: still record that (and what) was submitted; it may bill.
            kept = {k: fields[k] for k in ("pending_submit", "submitted_at", "state") if k in fields}
            job = await self._runner.write_through(self._job.id, unless_canceled=False, **kept)
        self._job = job
        if job.status == "canceled":
            # Canceled through another process: local work (a render) stops at its next check too.
            self._runner.cancel_requested.add(job.id)
            raise JobCanceled
        return job

    async def paid_submit(self, label: str, call: Callable[[], Awaitable[T]]) -> T:
        """Mark the submit in flight, send it once, and leave the mark until the provider's next
        `update` records the outcome (see `update`)."""
        if self.canceled():
            raise JobCanceled
        await self.update(pending_submit=label, step=self._job.step)
        self.submit_attempted = True
        try:
            result = await call()
        except SubmitOutcomeUnknown:
            raise
        except TalkingVideoError as exc:
            self._job = await self._runner.write_through(self._job.id, pending_submit=None)
            raise ProviderError(nothing_charged(str(exc))) from None
        self._answered_at = self._runner.clock()
        return result

    async def download(self, url: str, *, suffix: str = ".mp4", field: str = "video_path") -> Path:
        dest = self._runner.videos_dir / f"{self._job.id}{suffix}"
        await self._runner.fetch_file(url, dest, video=suffix == ".mp4")
        await self.update(**{field: str(dest)})
        return dest

    async def finish(self, **fields: Any) -> JobRecord:
        if self._runner.storage is not None and (fields.get("video_path") or self._job.video_path):
            # Completed only once the video is in the store: record that it is made, then upload it.
            state = {**fields.pop("state", self._job.state), "store_after": self._job.step}
            await self.update(status="processing", step=STORE_STEP, progress=0.99, state=state, **fields)
            return await self._runner.store_video(self)
        return await self.complete(**fields)

    async def complete(self, **fields: Any) -> JobRecord:
        """The job's last write: completed, with `fields` (its result). A video gets its poster frame first."""
        video = fields.get("video_path") or self._job.video_path
        if video and "output_warnings" not in self._job.state:
            warnings = await anyio.to_thread.run_sync(_finished_video, self._job, Path(video))
            fields["state"] = {**fields.get("state", self._job.state), "output_warnings": warnings}
        return await self.update(status="completed", progress=1.0, step=None, finished_at=self._runner.clock(),
                                 next_check_at=0, **fields)

    async def fail(self, message: str, *, status: JobStatus = "failed") -> JobRecord:
        return await self.update(status=status, error=message, finished_at=self._runner.clock(), step=self._job.step)


class JobRunner:
    """One per server process. Tools write jobs; the runner moves them on."""

    def __init__(
        self,
        store: Ledger,
        providers: Mapping[str, Provider],
        *,
        home: Path,
        client: httpx.AsyncClient,
        secrets: list[str],
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.time,
        max_concurrency: int = 32,
        render_slots: int = 1,
        storage: S3Storage | None = None,
        job_ids: tuple[str, ...] = (),
    ) -> None:
        self._job_ids = job_ids  # the state keys holding providers' own ids (each plug-in's `job_ids`)
        self.store = store
        self.storage = storage
        self.providers = providers
        self.render_slots = render_slots
        self._rendering = 0
        # Render slots go to owners in turn: the owner rendering least now, then the one served longest ago.
        self._rendering_for: Counter[str] = Counter()
        self._served_at: dict[str, float] = {}
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
        self._held_until: dict[str, float] = {}  # jobs whose last drive could not be recorded
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._wake = anyio.Event()
        self._changed: dict[str, anyio.Event] = {}
        self._tg: TaskGroup | None = None

    # ---------------------------------------------------------------- ledger access

    async def write(self, job_id: str, **fields: Any) -> JobRecord:
        job = await anyio.to_thread.run_sync(lambda: self.store.update(job_id, **fields))
        self._notify(job_id)
        return job

    async def write_through(self, job_id: str, **fields: Any) -> JobRecord:
        """`write`, waiting out a ledger outage (a database restart, a failover) for up to OUTAGE_WAIT_S: a job in
        the middle of a step (a render, the answer of a paid submit) carries on once the ledger is back instead of
        breaking off, which after a paid submit would leave it `submit_unknown`. An update is idempotent, so
        writing it again is safe even where the first try did reach the database."""
        waited, pause = 0.0, 0.25
        while True:
            try:
                return await self.write(job_id, **fields)
            except LedgerUnavailable:
                if waited >= OUTAGE_WAIT_S:
                    raise
                await anyio.sleep(pause)
                waited += pause
                pause = min(2.0, pause * 2)

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
        """After a crash: a paid submit that was in flight is never re-sent, and half-written
        downloads of processes that died are removed. Jobs another live process holds are its own."""
        await anyio.to_thread.run_sync(_remove_stale_parts, self.videos_dir)
        for job in await anyio.to_thread.run_sync(self.store.active_jobs):
            if not job.pending_submit:
                continue
            claimed = await anyio.to_thread.run_sync(self.store.claim, job.id, LEASE_S)
            if claimed is not None and claimed.pending_submit:
                await self._end(claimed, "submit_unknown", f"The server stopped while the paid submit "
                                f"({claimed.pending_submit}) was in flight. {SUBMIT_UNKNOWN_HELP}")

    async def run(self) -> None:
        """Run until canceled (the server lifespan owns the task); on the way out, hand this process's
        jobs back so another process takes them over at once."""
        try:
            await self.recover()
            async with anyio.create_task_group() as tg:
                self._tg = tg
                tg.start_soon(self._heartbeat)
                while True:
                    self._wake = anyio.Event()
                    try:
                        wait = await self._dispatch_due(tg)
                    except LedgerError as exc:
                        log.error("could not read the job ledger, trying again in %.0fs: %s", LEDGER_RETRY_S, exc)
                        wait = LEDGER_RETRY_S
                    with anyio.move_on_after(wait):
                        await self._wake.wait()
        finally:
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(self.store.release_all)

    async def _heartbeat(self) -> None:
        """Keep this process's leases alive, and notice jobs canceled through another process."""
        while True:
            await anyio.sleep(HEARTBEAT_S)
            try:
                held = await anyio.to_thread.run_sync(self.store.renew_leases, LEASE_S)
            except LedgerError as exc:
                log.error("could not renew job leases: %s", exc)
                continue
            for job_id in self._running - held:
                job = await anyio.to_thread.run_sync(self.store.get, job_id)
                if job is not None and job.status == "canceled":
                    self.cancel_requested.add(job_id)

    async def _dispatch_due(self, tg: TaskGroup) -> float:
        jobs = await anyio.to_thread.run_sync(self.store.active_jobs)
        now = self.clock()
        next_wait = DISPATCH_MAX_WAIT_S
        renders: list[JobRecord] = []
        for job in jobs:
            if job.id in self._running or held_by_another(job.lease_owner, job.lease_until, self.store.owner, now):
                continue
            due_in = max(job.next_check_at, self._held_until.get(job.id, 0.0)) - now
            if due_in > 0:
                next_wait = min(next_wait, due_in)
            elif self._is_heavy(job):
                renders.append(job)
            else:
                self._start(tg, job, heavy=False)
        for job in fair_order(renders, self._rendering_for, self._served_at):
            if self._rendering >= self.render_slots:
                if job.lease_owner == self.store.owner:
                    # No free render slot here: let a process with one (a worker) take the job.
                    await anyio.to_thread.run_sync(self.store.release, job.id)
                continue
            self._start(tg, job, heavy=True)
        return max(0.01, next_wait)

    def _start(self, tg: TaskGroup, job: JobRecord, *, heavy: bool) -> None:
        self._running.add(job.id)
        if heavy:
            self._rendering += 1
            self._rendering_for[job.owner or ""] += 1
            self._served_at[job.owner or ""] = time.monotonic()
        tg.start_soon(self._drive, job.id, heavy, job.owner or "")

    def _is_heavy(self, job: JobRecord) -> bool:
        provider = self.providers.get(job.provider)
        return job.step in getattr(provider, "heavy_steps", frozenset())

    async def _drive(self, job_id: str, heavy: bool = False, owner: str = "") -> None:
        try:
            async with self._limiter:
                await self._drive_once(job_id)
            self._held_until.pop(job_id, None)
        except Exception as exc:
            # The ledger could not be written (a full disk, a locked database): the job keeps its last
            # recorded state and is picked up again later, as after a restart. The server keeps serving.
            log.error("job %s: progress could not be recorded, trying again in %.0fs: %s", job_id, LEDGER_RETRY_S,
                      self._clean(exc), exc_info=not isinstance(exc, LedgerError))
            self._held_until[job_id] = self.clock() + LEDGER_RETRY_S
        finally:
            self._running.discard(job_id)
            self.cancel_requested.discard(job_id)
            if heavy:
                self._rendering -= 1
                self._rendering_for[owner] -= 1
            self.wake()

    async def _drive_once(self, job_id: str) -> None:
        job = await anyio.to_thread.run_sync(lambda: self.store.claim(job_id, LEASE_S))
        if job is None:
            return
        if job.pending_submit:
            # An earlier drive broke off (its outcome could not be recorded) while this paid submit was
            # in flight: as after a crash, it is never sent again.
            await self._end(job, "submit_unknown", f"The paid submit ({job.pending_submit}) was interrupted "
                            f"before its outcome was recorded. {SUBMIT_UNKNOWN_HELP}")
            return
        provider = self.providers.get(job.provider)
        if provider is None:
            await self.write(job.id, status="failed", error=f"provider {job.provider!r} is not available here")
            return
        ctl = _Control(self, job)
        try:
            if job.step == STORE_STEP:
                await self.store_video(ctl)
                return
            delay = await provider.advance(job, ctl)
        except JobCanceled:
            return
        except Exception as exc:
            await self._after_error(ctl, exc)
            return
        self._failures.pop(job.id, None)
        if delay is not None and ctl.job.active:
            await self.write(job.id, next_check_at=self.clock() + delay)

    async def _after_error(self, ctl: _Control, exc: Exception) -> None:
        """A step raised: retry it later, or end the job with a message that says what happened."""
        job = ctl.job
        if isinstance(exc, LedgerError):
            raise exc  # nothing can be recorded now; `_drive` holds the job and tries again
        if isinstance(exc, StorageUnavailable):
            await self._store_later(job, exc)
            return
        if isinstance(exc, SubmitOutcomeUnknown):
            await self._end(job, "submit_unknown", f"{self._clean(exc).rstrip(' .')}. {SUBMIT_UNKNOWN_HELP}")
        elif ctl.submit_unrecorded and isinstance(exc, ProviderError):
            # The provider answered the paid submit and its client read the answer as a refusal
            # (an answer it cannot read is SubmitOutcomeUnknown).
            await self._end(job, "failed", nothing_charged(self._clean(exc)))
        elif ctl.submit_unrecorded or (job.pending_submit and not isinstance(exc, TalkingVideoError)):
            log.exception("job %s: unexpected error during the paid submit", job.id)
            await self._end(job, "submit_unknown", "An internal error interrupted the paid submit. "
                            + SUBMIT_UNKNOWN_HELP)
        elif (isinstance(exc, ProviderError) and exc.retryable and not ctl.submit_attempted
              and not job.pending_submit):
            await self._retry_later(job, exc)
        elif isinstance(exc, TalkingVideoError):
            await self._end(job, "failed", self._clean(exc))
        else:
            log.exception("job %s: unexpected error in step %s", job.id, job.step)
            await self._end(job, "failed", f"internal error in step {job.step}: {type(exc).__name__}")

    async def _end(self, job: JobRecord, status: JobStatus, error: str) -> None:
        self._failures.pop(job.id, None)
        await self.write(job.id, status=status, error=error, finished_at=self.clock(), pending_submit=None)

    def _gave_up(self, job: JobRecord, attempts: int, exc: ProviderError) -> str:
        message = f"gave up after {attempts} failed attempts at step {job.step}: {self._clean(exc).rstrip(' .')}."
        if not job.submitted_at:
            return f"{message} Nothing was submitted, so {NOTHING_CHARGED.lower()} Try again later."
        ids = ", ".join(f"{name} {job.state[name]}" for name in self._job_ids if job.state.get(name))
        if job.output_url:
            where = "" if job.output_url in message else f"; its file is at {job.output_url}"
            return f"{message} The provider finished the job ({ids or 'no id recorded'}){where}."
        return (
            f"{message} The job was submitted to {job.provider} ({ids or 'no id recorded'}) and may still finish "
            "and bill there: check the provider's dashboard before submitting it again."
        )

    async def _retry_later(self, job: JobRecord, exc: ProviderError) -> None:
        count = self._failures.get(job.id, 0) + 1
        self._failures[job.id] = count
        if count > MAX_TRANSIENT_FAILURES:
            await self._end(job, "failed", self._gave_up(job, count, exc))
            return
        delay = min(120.0, 2.0 * 2 ** min(count, 6)) / max(self.time_scale, 1.0)
        log.info("job %s: step %s will be retried in %.1fs: %s", job.id, job.step, delay, self._clean(exc))
        await self.write(job.id, next_check_at=self.clock() + delay)

    # ---------------------------------------------------------------- storage

    async def store_video(self, ctl: _Control) -> JobRecord:
        """Upload the finished video and complete the job; StorageUnavailable (the job stays at the store
        step and is tried again) when the store cannot take it now."""
        job = ctl.job
        path = Path(job.video_path or "")
        if not job.video_path or not await anyio.Path(path).is_file():
            # Made by a process whose disk this one does not share, which stopped before the upload: make it
            # again (the step that made it: a render, or the provider's download).
            redo = job.state.get("store_after")
            if not redo or redo == STORE_STEP:
                return await ctl.fail(f"the finished video {job.video_path} is not on this machine and could not "
                                      "be stored; submit the job again (nothing more was charged).")
            log.warning("job %s: the video to store is not on this machine; step %s runs again", job.id, redo)
            return await ctl.update(step=redo, video_path=None)
        state = dict(job.state)
        if self.storage is not None:  # else this process keeps videos in its folder: the job completes here
            state["storage_key"] = await anyio.to_thread.run_sync(self.storage.upload, path, job.id)
        self._failures.pop(job.id, None)
        return await ctl.complete(error=None, state=state)

    async def _store_later(self, job: JobRecord, exc: StorageUnavailable) -> None:
        """The store is down: keep the job (and its video) and try again, for as long as it takes."""
        count = self._failures.get(job.id, 0) + 1
        self._failures[job.id] = count
        delay = min(STORE_RETRY_MAX_S, 0.5 * 2 ** min(count, 6))
        detail = (f"The video is made but the video store cannot take it yet ({self._clean(exc)}); it is tried again "
                  f"every {delay:.0f} s and nothing is lost. The job completes once it is stored.")
        log.warning("job %s: upload %d failed, retrying in %.1fs: %s", job.id, count, delay, self._clean(exc))
        await self.write(job.id, step=STORE_STEP, error=detail, next_check_at=self.clock() + delay)

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
        """Stream to a temp file beside `dest`, check it, then rename: no half-written results.

        Every error names the URL, so a user can still fetch the file from the provider."""
        tmp = dest.with_name(f".{dest.name}.{_part_tag()}.part")
        expected = size = 0
        response: httpx.Response | None = None
        try:
            async with self.client.stream("GET", url) as response:
                if response.status_code in provider_http.RETRYABLE_STATUS:
                    raise TransientProviderError(
                        f"the result download from {url} answered HTTP {response.status_code}",
                        status_code=response.status_code,
                    )
                if response.status_code >= 400:
                    raise ProviderError(
                        f"the result file could not be downloaded (HTTP {response.status_code}); the provider "
                        f"may have removed it. URL: {url}", status_code=response.status_code, retryable=True,
                    )
                length = response.headers.get("content-length") or "0"
                expected = int(length) if length.isdigit() else 0
                with _storing(dest, url):
                    size, _ = await stream_body(response, tmp, max_bytes=MAX_DOWNLOAD_BYTES, too_large=lambda: (
                        ProviderError(f"the result file at {url} is larger than 1 GiB; refusing to store it")))
            if expected and size != expected:
                raise TransientProviderError(f"the result download from {url} was cut short ({size} of {expected} "
                                             "bytes)")
            if video:
                await anyio.to_thread.run_sync(_check_video, tmp, url)
            with _storing(dest, url):
                os.replace(tmp, dest)
        except (httpx.TransportError, httpx.StreamError) as exc:
            received = response.num_bytes_downloaded if response is not None else size
            if expected and received < expected:
                raise TransientProviderError(f"the result download from {url} was cut short ({received} of "
                                             f"{expected} bytes, {type(exc).__name__})") from None
            raise TransientProviderError(f"the result download from {url} failed ({type(exc).__name__})") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _storing(dest: Path, url: str) -> Iterator[None]:
    """File-system errors while saving a result become one clear StorageError (a full disk is the usual cause)."""
    try:
        yield
    except OSError as exc:
        raise StorageError(
            f"the result could not be saved in {dest.parent}: {exc.strerror or type(exc).__name__}. Free disk space "
            f"(or point TALKING_VIDEO_HOME at a writable disk with room); the finished file is still at {url} for a "
            "while."
        ) from None


def _part_tag(pid: int | None = None) -> str:
    """pid-host: who writes a `.part` file, for a videos directory that several machines share."""
    return f"{pid or os.getpid()}-{socket.gethostname().replace('.', '_').replace('-', '_')}"


def _finished_video(job: JobRecord, video: Path) -> list[str]:
    """Blocking: the gallery's still of a finished video (media.video.save_poster) and the warnings it earns
    (jobs/output_check.py); a video without either still completes."""
    from talking_video_mcp.jobs.output_check import output_warnings
    from talking_video_mcp.media.video import save_poster  # PyAV: loaded with the first finished video

    try:
        save_poster(video)
    except (ValueError, OSError) as exc:
        log.warning("no poster frame for %s: %s", video.name, exc)
    return output_warnings(job, video)


def _remove_stale_parts(videos_dir: Path) -> None:
    """Remove `.part` files whose writer (the pid in the name, on this host) no longer runs, or that nobody
    has written to for STALE_PART_S (a writer in another container or on another machine); best effort."""
    try:
        parts = list(videos_dir.glob(".*.part"))
    except OSError as exc:
        log.warning("could not look for half-written downloads in %s: %s", videos_dir, exc)
        return
    here = _part_tag().partition("-")[2]
    now = time.time()
    for part in parts:
        pid, _, host = part.name.rsplit(".", 2)[-2].partition("-")
        with contextlib.suppress(OSError):
            dead = (pid.isdigit() and host in ("", here) and int(pid) != os.getpid()
                    and not pid_alive(int(pid)))
            if dead or now - part.stat().st_mtime > STALE_PART_S:
                part.unlink()


def _check_video(path: Path, url: str) -> None:
    try:
        probe_video(path)
    except ValueError as exc:
        raise TransientProviderError(f"the video downloaded from {url} is damaged ({exc})") from None
