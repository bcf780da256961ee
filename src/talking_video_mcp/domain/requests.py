"""Typed requests: what a tool call asks for (`*Args`, parsed once at the tool boundary) and what a
job stores in the ledger (`*Request`, one per model: the validated provider body plus resolved inputs).

Every model defers its schema build, so importing this module costs nothing at server start-up."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, Union, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

_CONFIG = ConfigDict(defer_build=True, frozen=True)


# ------------------------------------------------------------------ tool arguments


class SubmitOptions(BaseModel):
    """How to submit, not what: these never make two requests different."""

    model_config = _CONFIG
    dry_run: bool = False
    wait_seconds: float = 0.0
    idempotency_key: str | None = None
    force_new: bool = False


AspectRatio = Literal["16:9", "9:16", "1:1"]


class TalkingVideoArgs(BaseModel):
    """generate_talking_video's arguments: one vocabulary for every model (each maps it to its provider's
    fields), and `options`, the model's own knobs, checked against its `ModelSpec.options` schema."""

    model_config = _CONFIG
    image: str | None = None
    avatar_preset_id: str | None = None
    audio: str | None = None
    audio_task_id: str | None = None
    script: str | None = None
    voice_id: str | None = None
    prompt: str | None = None
    resolution: str | None = None
    aspect_ratio: AspectRatio | None = None
    seed: int | None = None
    duration: int | None = None
    options: dict[str, Any] | None = None

    def given(self, names: tuple[str, ...]) -> list[str]:
        """Which of `names` the caller set."""
        return [name for name in names if getattr(self, name) is not None]

    def option(self, name: str, default: Any = None) -> Any:
        """One of `options`, as validated before prepare (None or missing: `default`)."""
        value = (self.options or {}).get(name)
        return default if value is None else value


class SpeechArgs(BaseModel):
    """text_to_speech's arguments (the provider is chosen before these reach one)."""

    model_config = _CONFIG
    text: str
    voice_id: str | None = None
    options: dict[str, Any] | None = None

    def option(self, name: str, default: Any = None) -> Any:
        value = (self.options or {}).get(name)
        return default if value is None else value


class ImageVideoArgs(BaseModel):
    model_config = _CONFIG
    image: str
    prompt: str
    variant: Literal["lite", "standard", "turbo"] = "lite"
    motion_id: str | None = None
    end_image: str | None = None
    enhance_prompt: bool | None = None
    seed: int | None = None


class ProductAdArgs(BaseModel):
    model_config = _CONFIG
    product_placement_sample_id: str
    images: list[str]
    size: str = "1024x1024"


ToolArgs = TalkingVideoArgs | SpeechArgs | ImageVideoArgs | ProductAdArgs


# ------------------------------------------------------------------ stored requests


class InputFile(BaseModel):
    """An input as the job will use it: a URL to pass on, or a local file to upload or render."""

    model_config = _CONFIG
    url: str | None = None
    path: str | None = None
    mime: str | None = None
    needs_wav: bool = False
    probe_path: str | None = Field(default=None, description="Local copy of a URL input, when it was checked")
    duration_s: float | None = None
    phonemes: str | None = Field(default=None, description="Phoneme timing JSON written by the offline voice")

    @property
    def location(self) -> str | None:
        return self.url or self.path


class OfflineSpeech(BaseModel):
    """A script an offline voice speaks before the job's main step."""

    model_config = _CONFIG
    script: str
    voice_id: str
    max_seconds: float | None = None
    warning: str | None = Field(default=None, description="Why this voice may sound wrong for this script")


class Display(BaseModel):
    """What the user asked for, shown in views and the gallery."""

    model_config = _CONFIG
    script: str | None = None
    voice_id: str | None = None
    prompt: str | None = None
    title: str | None = None
    # The shape and size asked for, in the common vocabulary (the output check names them in its advice).
    aspect_ratio: str | None = None
    resolution: str | None = None


def warnings_of(*notes: str | None) -> tuple[str, ...]:
    """A request's warnings: the notes that say something."""
    return tuple(note for note in notes if note)


class StoredRequest(BaseModel):
    """What a job stores: each model subclasses it with `model: Literal[<its id>]` and its provider body."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")
    model: str
    inputs: dict[str, InputFile | None] = Field(default_factory=dict)
    tts: OfflineSpeech | None = None
    display: Display = Field(default_factory=Display)
    warnings: tuple[str, ...] = Field(default=(), description="What the user should know; the job view shows it")

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rows written by earlier versions, in this type's current shape (override when it changed)."""
        return data


# Every provider's stored request types, declared by the registry as it loads the providers (a ledger read
# before that, by a tool that never runs a job, gets plain StoredRequests: enough to list and show jobs).
_TYPES: list[type[StoredRequest]] = []


def declare_request_types(types: tuple[type[StoredRequest], ...]) -> None:
    _TYPES[:] = types


@cache
def _adapter(types: tuple[type[StoredRequest], ...]) -> TypeAdapter[Any]:
    union: Any = types[0] if len(types) == 1 else Union[types]  # noqa: UP007 (a union built at run time)
    return TypeAdapter(Annotated[union, Field(discriminator="model")])


def load_request(model: str, data: dict[str, Any]) -> StoredRequest:
    """A stored request back from the ledger's JSON, as the type its model declared. A model no installed
    provider declares (a plug-in since removed) reads as a plain StoredRequest, so its jobs still list."""
    data = {**data, "model": model}
    types = tuple(_TYPES)
    for kind in types:
        if model in _models_of(kind):
            return cast(StoredRequest, _adapter(types).validate_python(kind.upgrade(data)))
    return StoredRequest.model_validate(data)


def _models_of(kind: type[StoredRequest]) -> tuple[str, ...]:
    return tuple(get_args(kind.model_fields["model"].annotation))


def dump_request(request: StoredRequest) -> dict[str, Any]:
    """The JSON the ledger stores (load_request reads it back)."""
    return request.model_dump(mode="json", exclude={"model"})
