"""What every provider offers the tools and the runner. Providers never know about MCP, and the runner
knows providers only through this protocol."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import StoredRequest, ToolArgs
from talking_video_mcp.models import AvatarPresetList, JobStatus, ProviderAccount, VoiceList

T = TypeVar("T")


# The common arguments of generate_talking_video; a model declares which it takes (`ModelSpec.takes`).
COMMON_ARGS = ("image", "avatar_preset_id", "script", "audio", "audio_task_id", "voice_id", "prompt", "resolution",
               "aspect_ratio", "seed", "duration")


@dataclass(frozen=True)
class ModelSpec:
    """One `model` id of `generate_talking_video` (or of another job tool) and what it takes: the common
    arguments (`takes`, names from COMMON_ARGS), its own `options` (a pydantic model mirroring the provider's
    names, enums, ranges and defaults), its price (`price_usd` per job or `price_per_second_usd`; `prices`:
    (option, USD) rows when it depends on options) and limits, for list_models and get_account."""

    model_id: str
    provider: str
    title: str
    typical_seconds: float
    summary: str
    kind: str = "talking_video"
    takes: frozenset[str] = frozenset()
    options: type[BaseModel] | None = None
    price_usd: float | None = None
    price_per_second_usd: float | None = None
    prices: tuple[tuple[str, float], ...] = ()
    price_note: str | None = None
    max_speech_s: float | None = None
    photo_limit: str | None = None
    durations: tuple[int, ...] = ()
    # Set when no price is known (none published, none set by the operator): one sentence saying so and naming
    # the setting that sets it. The spend guard refuses the model while it is set; a price is never guessed.
    unpriced: str | None = None

    @property
    def free(self) -> bool:
        return self.price_usd == 0 and not self.price_per_second_usd and self.unpriced is None


@dataclass
class PreparedJob:
    """A validated request, ready to be written to the ledger; nothing has been spent yet."""

    provider: str
    request: StoredRequest
    first_step: str
    cost_estimate_usd: float | None
    kind: str = "talking_video"

    @property
    def model(self) -> str:
        return self.request.model


@dataclass(frozen=True)
class JobProgress:
    """What a provider knows of a running job beyond its step (`Provider.describe`): a sentence such as its
    place in the provider's queue or its latest log line, and the seconds left (wall time), if it can tell."""

    detail: str | None = None
    eta_seconds: float | None = None


@dataclass(frozen=True)
class CancelOutcome:
    """What the provider said to a cancel (`Provider.cancel`), as `outcome` (the provider's word, e.g.
    CANCELLATION_REQUESTED, ALREADY_COMPLETED, NOT_FOUND, NOT_SUBMITTED) and one `sentence` for the user.
    `estimate_returned`: nothing will be billed, so the job's estimate goes back to the daily budget.
    `finished`: the provider had already made the result, so the job is not canceled but goes on to fetch it."""

    outcome: str
    sentence: str
    estimate_returned: bool = False
    finished: bool = False


@dataclass(frozen=True)
class KeyCheck:
    """doctor's verdict on a provider's key (`Provider.check_key`): accepted, refused by the provider, or not
    checkable (network, service); `unconfigured` when no key is set. `sentence` says what was seen."""

    status: Literal["ok", "rejected", "unreachable", "unconfigured"]
    sentence: str


class JobControl(Protocol):
    """The runner's services for one job: persistence first, then the network."""

    @property
    def job(self) -> JobRecord: ...

    @property
    def scratch_dir(self) -> Path: ...

    def canceled(self) -> bool: ...

    def scaled(self, seconds: float) -> float:
        """Provider seconds → wall seconds (the sandbox emulator runs faster)."""
        ...

    async def update(self, **changes: Any) -> JobRecord: ...

    async def paid_submit(self, label: str, call: Callable[[], Awaitable[T]]) -> T:
        """Record that a paid request is in flight and send it once. The mark stays until the
        provider's next `update` records the outcome (the request id), in the same write.

        If the process dies in between, the job becomes `submit_unknown` on restart
        instead of being sent twice."""
        ...

    async def download(self, url: str, *, suffix: str = ".mp4", field: str = "video_path") -> Path:
        """Fetch a result to its final place (temp file, then rename)."""
        ...

    async def finish(self, **changes: Any) -> JobRecord:
        """Mark the job completed (sets progress 1 and finished_at)."""
        ...

    async def fail(self, message: str, *, status: JobStatus = "failed") -> JobRecord: ...


class Provider(Protocol):
    name: str
    models: tuple[ModelSpec, ...]
    # Steps that keep this machine's CPU busy (a local render): the runner runs them only in a free
    # render slot, so they go to whichever process (replica or worker) has one.
    heavy_steps: frozenset[str]

    @property
    def configured(self) -> bool: ...

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        """USD estimate from the arguments alone (no I/O), for the spend guard."""
        ...

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        """Resolve and check the inputs, validate per model (no paid call); raise `InvalidInput` with what
        to change."""
        ...

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        """Run the job's next step; return seconds until the next call, or None when final."""
        ...

    async def account(self) -> ProviderAccount: ...

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList: ...

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList: ...

    async def aclose(self) -> None: ...


# Optional provider methods: the tools and doctor use them where a provider has them (isinstance checks).


@runtime_checkable
class DescribesJobs(Protocol):
    def describe(self, job: JobRecord) -> JobProgress | None:
        """No I/O: the job's detail and ETA from what its state recorded (check_video_status shows them)."""
        ...


@runtime_checkable
class CancelsRemotely(Protocol):
    async def cancel(self, job: JobRecord) -> CancelOutcome:
        """Ask the provider to cancel a submitted job (cancel_job calls it before marking the job canceled)."""
        ...


@runtime_checkable
class ChecksKey(Protocol):
    async def check_key(self) -> KeyCheck:
        """The cheapest authenticated request that spends nothing, for doctor."""
        ...
