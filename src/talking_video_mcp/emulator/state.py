"""Everything the emulator remembers: accounts, jobs, uploads, rate windows, stats, the request log.

One lock guards it because handlers run on the server's event loop while tests read
stats and arm faults from their own thread. API keys never enter this module: callers
pass `account_id(key)`, a short sha256 prefix.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from talking_video_mcp.emulator import contract
from talking_video_mcp.emulator.config import EmulatorConfig
from talking_video_mcp.emulator.faults import ENDPOINTS, FaultBook

Provider = Literal["segmind", "unifically", "heygen", "fal"]
Phase = Literal["queued", "running", "done", "failed", "gone"]

STATS_MODELS = (
    contract.SEGMIND_SPEECH2VIDEO,
    contract.SEGMIND_HEYGEN,
    "higgsfield-speak",
    "higgsfield-tts",
    "higgsfield-generate",
    "higgsfield-ads",
    *contract.FAL_ENDPOINTS,
)
LOG_LIMIT = 10_000
_SEGMIND_WORDS: dict[str, str] = {
    "queued": "QUEUED",
    "running": "PROCESSING",
    "done": "COMPLETED",
    "failed": "FAILED",
    "gone": "EXPIRED",
}
_UNIFICALLY_WORDS: dict[str, str] = {
    "queued": "pending",
    "running": "processing",
    "done": "completed",
    "failed": "failed",
    "gone": "expired",
}

# fal reports a failed request as COMPLETED with an `error`.
_FAL_WORDS: dict[str, str] = {
    "queued": "IN_QUEUE",
    "running": "IN_PROGRESS",
    "done": "COMPLETED",
    "failed": "COMPLETED",
    "gone": "NOT_FOUND",
}


def account_id(key: str) -> str:
    """A short, non-reversible name for an API key (the key itself is never stored)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def iso_utc(wall: float) -> str:
    """ISO 8601 UTC with milliseconds and a Z suffix."""
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Job:
    """A provider job: its timing is derived from `created`, so nothing has to tick."""

    id: str
    provider: Provider
    endpoint: str
    model: str  # key in stats "models"
    kind: str  # segmind model name, or speak|tts|generate|ads
    account: str
    created: float  # config.clock() at submit
    created_wall: float
    run_s: float  # provider seconds from submit to final state
    ttl_s: float  # provider seconds the record stays visible
    cost: float
    media: Literal["video", "audio"]
    media_seconds: float
    params: dict[str, Any] = field(default_factory=dict)  # validated values, defaults filled in
    sent: list[str] = field(default_factory=list)  # the field names the client actually sent
    fail_reason: str | None = None  # fails when the run ends
    failed_now: bool = False  # failed early by a fault
    expired: bool = False  # forgotten early by a fault
    polls: int = 0
    detail: list[dict[str, Any]] = field(default_factory=list)  # fal: why it failed, as `detail` items
    canceled: bool = False  # fal: canceled through its cancel_url

    @property
    def output_name(self) -> str:
        return f"outputs/{self.id}.{'mp4' if self.media == 'video' else 'wav'}"


@dataclass
class Upload:
    data: bytes
    content_type: str
    created: float


@dataclass
class RequestRecord:
    """One served request, as the stats and the log see it."""

    method: str
    path: str
    endpoint: str
    status_code: int | None
    fault: str | None = None
    job_id: str | None = None
    model: str | None = None
    phase: str | None = None  # submit | status | result
    accepted: bool = False  # a submit that created a job
    account: str | None = None
    client: str | None = None


class EmulatorState:
    """The emulator's memory; see the module docstring."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.faults = FaultBook(config.faults)
        self._lock = threading.RLock()
        self._init()

    def _init(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.uploads: dict[str, Upload] = {}
        self._balances: dict[tuple[Provider, str], float] = {}
        self._windows: dict[tuple[Provider, str], deque[float]] = {}
        self._endpoints: Counter[str] = Counter({name: 0 for name in ENDPOINTS})
        self._rejected: Counter[str] = Counter({name: 0 for name in ENDPOINTS})
        self._codes: dict[str, Counter[str]] = {}
        self._models: dict[str, Counter[str]] = {name: self._model_counter() for name in STATS_MODELS}
        self._faults_fired: dict[str, Counter[str]] = {}
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self._total = 0

    @staticmethod
    def _model_counter() -> Counter[str]:
        return Counter({"submit": 0, "accepted": 0, "rejected": 0, "status": 0, "result": 0})

    def reset(self) -> None:
        """Forget jobs, uploads, balances, rate windows, stats and armed faults."""
        with self._lock:
            self._init()
        self.faults.clear()

    # ------------------------------------------------------------ time
    def now(self) -> float:
        return self.config.clock()

    def provider_elapsed(self, since: float) -> float:
        """Provider seconds since `since` (a clock reading), i.e. real seconds x speed."""
        return (self.now() - since) * self.config.speed

    # ------------------------------------------------------------ accounts
    def _start_balance(self, provider: Provider) -> float:
        if provider == "heygen":
            return self.config.heygen_balance
        return self.config.segmind_credits if provider == "segmind" else self.config.unifically_balance

    def balance(self, provider: Provider, account: str) -> float:
        with self._lock:
            return self._balances.get((provider, account), self._start_balance(provider))

    def set_balance(self, provider: Provider, account: str, amount: float) -> None:
        with self._lock:
            self._balances[(provider, account)] = round(amount, 6)

    def try_charge(self, provider: Provider, account: str, amount: float) -> float | None:
        """Take `amount` from the account; the new balance, or None if it does not cover it."""
        with self._lock:
            current = self.balance(provider, account)
            if current + 1e-9 < amount:
                return None
            remaining = round(current - amount, 6)
            self._balances[(provider, account)] = remaining
            return remaining

    def rate_limit(self, provider: Provider, account: str) -> float | None:
        """Count a request in the sliding 60 s window; when over the limit, return the wall
        time the window frees instead (the request is then not counted)."""
        limit = {
            "segmind": self.config.segmind_rate_limit_per_min,
            "unifically": self.config.unifically_rate_limit_per_min,
            "heygen": self.config.heygen_rate_limit_per_min,
        }[provider]
        if limit is None:
            return None
        now = self.now()
        with self._lock:
            window = self._windows.setdefault((provider, account), deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= limit:
                return time.time() + (window[0] + 60.0 - now)
            window.append(now)
            return None

    # ------------------------------------------------------------ jobs
    def add_job(self, job: Job) -> None:
        with self._lock:
            self.jobs[job.id] = job

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def find_job(self, provider: Provider, job_id: str, account: str) -> Job | None:
        """The caller's job if its record is still visible."""
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None or job.provider != provider or job.account != account:
            return None
        return None if self.phase(job) == "gone" else job

    def phase(self, job: Job) -> Phase:
        elapsed = self.provider_elapsed(job.created)
        if job.expired or elapsed >= job.ttl_s:
            return "gone"
        if job.failed_now:
            return "failed"
        if elapsed < contract.QUEUED_FRACTION * job.run_s:
            return "queued"
        if elapsed < job.run_s:
            return "running"
        return "failed" if job.fail_reason else "done"

    def status_word(self, job: Job) -> str:
        """The job's state in its provider's own words."""
        words = {"segmind": _SEGMIND_WORDS, "fal": _FAL_WORDS}.get(job.provider, _UNIFICALLY_WORDS)
        return words[self.phase(job)]

    def fail_now(self, job: Job, reason: str) -> None:
        with self._lock:
            job.failed_now = True
            job.fail_reason = job.fail_reason or reason

    def expire_now(self, job: Job) -> None:
        with self._lock:
            job.expired = True

    def count_poll(self, job: Job) -> None:
        with self._lock:
            job.polls += 1

    def output_job(self, name: str) -> Job | None:
        """The job whose finished output file is `name`, while that file lives."""
        job_id = name.removeprefix("outputs/").rsplit(".", 1)[0]
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None or job.output_name != name or job.failed_now or job.fail_reason:
            return None
        elapsed = self.provider_elapsed(job.created)
        if elapsed < job.run_s or elapsed >= job.run_s + contract.OUTPUT_FILE_TTL:
            return None
        return job

    # ------------------------------------------------------------ uploads
    def add_upload(self, name: str, data: bytes, content_type: str) -> None:
        with self._lock:
            self.uploads[name] = Upload(data, content_type, self.now())

    def find_upload(self, name: str) -> Upload | None:
        with self._lock:
            upload = self.uploads.get(name)
        if upload is None or self.provider_elapsed(upload.created) >= contract.OUTPUT_FILE_TTL:
            return None
        return upload

    # ------------------------------------------------------------ observability
    def record(self, rec: RequestRecord) -> None:
        """Count one served request and append it to the log."""
        with self._lock:
            self._total += 1
            self._endpoints[rec.endpoint] += 1
            code = "none" if rec.status_code is None else str(rec.status_code)
            self._codes.setdefault(rec.endpoint, Counter())[code] += 1
            rejected = rec.status_code is not None and 400 <= rec.status_code < 500
            if rejected:
                self._rejected[rec.endpoint] += 1
            if rec.fault:
                self._faults_fired.setdefault(rec.endpoint, Counter())[rec.fault] += 1
            if rec.model in self._models and rec.phase:
                counters = self._models[rec.model]
                counters[rec.phase] += 1
                if rec.phase == "submit" and rec.accepted:
                    counters["accepted"] += 1
                elif rec.phase == "submit" and rejected:
                    counters["rejected"] += 1
            self._log.append(
                {
                    "t": round(time.time(), 3),
                    "method": rec.method,
                    "path": rec.path,
                    "endpoint": rec.endpoint,
                    "id": rec.job_id,
                    "status_code": rec.status_code,
                    "fault": rec.fault,
                    "client": rec.client,
                    "account": rec.account,
                }
            )

    def requests_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    def snapshot(self) -> dict[str, Any]:
        """The stats document served at GET /_emulator/stats."""
        with self._lock:
            jobs = list(self.jobs.values())
            doc: dict[str, Any] = {
                "requests_total": self._total,
                "endpoints": dict(self._endpoints),
                "rejected": dict(self._rejected),
                "status_codes": {name: dict(codes) for name, codes in self._codes.items()},
                "models": {name: dict(counts) for name, counts in self._models.items()},
                "faults_fired": {name: dict(counts) for name, counts in self._faults_fired.items()},
                "faults_armed": self.faults.snapshot(),
            }
        doc["jobs"] = {
            job.id: {
                "endpoint": job.endpoint,
                "model": job.model,
                "status": self.status_word(job),
                "polls": job.polls,
                "created_at": iso_utc(job.created_wall),
                "cost": job.cost,
                "account": job.account,
                "input": job.params,
                "sent": job.sent,
            }
            for job in jobs
        }
        doc["spent"] = {
            "segmind": round(sum(j.cost for j in jobs if j.provider == "segmind"), 6),
            "unifically": round(sum(j.cost for j in jobs if j.provider == "unifically"), 6),
            # fal bills only successful outputs.
            "fal": round(sum(j.cost for j in jobs if j.provider == "fal" and self.phase(j) == "done"), 6),
        }
        return doc
