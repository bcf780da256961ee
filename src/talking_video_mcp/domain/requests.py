"""Typed requests: what a tool call asks for (`*Args`, parsed once at the tool boundary) and what a
job stores in the ledger (`*Request`, one per model: the validated provider body plus resolved inputs).

Every model defers its schema build, so importing this module costs nothing at server start-up."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from talking_video_mcp import params as p
from talking_video_mcp.names import (
    MODEL_ADS,
    MODEL_AVATAR,
    MODEL_IMAGE_VIDEO,
    MODEL_LOCAL,
    MODEL_LOCAL_TTS,
    MODEL_S2V,
    MODEL_SPEAK,
    MODEL_TTS,
)

_CONFIG = ConfigDict(defer_build=True, frozen=True)


# ------------------------------------------------------------------ tool arguments


class SubmitOptions(BaseModel):
    """How to submit, not what: these never make two requests different."""

    model_config = _CONFIG
    dry_run: bool = False
    wait_seconds: float = 0.0
    idempotency_key: str | None = None
    force_new: bool = False


class TalkingVideoArgs(BaseModel):
    """generate_talking_video's arguments; which apply depends on `model` (the provider checks)."""

    model_config = _CONFIG
    image: str | None = None
    avatar_preset_id: str | None = None
    audio: str | None = None
    audio_task_id: str | None = None
    script: str | None = None
    voice_id: str | None = None
    prompt: str | None = None
    quality: Literal["high", "mid", "basic"] | None = None
    enhance_prompt: bool | None = None
    seed: int | None = None
    duration: Literal[5, 10, 15] | None = None
    video_title: str | None = None
    video_orientation: Literal["landscape", "portrait"] | None = None
    fit: Literal["cover", "contain"] | None = None
    custom_motion_prompt: str | None = None
    enhance_custom_motion_prompt: bool | None = None
    resolution: str | None = None
    framing: Literal["photo", "portrait", "square", "landscape"] | None = None
    face_index: int | None = None

    def given(self, names: tuple[str, ...]) -> list[str]:
        """Which of `names` the caller set."""
        return [name for name in names if getattr(self, name) is not None]


class SpeechArgs(BaseModel):
    """text_to_speech's arguments (the provider is chosen before these reach one)."""

    model_config = _CONFIG
    text: str
    voice_id: str | None = None
    sound_id: str | None = None
    similarity_boost: float | None = None
    style: float | None = None
    speed: float | None = None
    stability: float | None = None


class ImageVideoArgs(BaseModel):
    model_config = _CONFIG
    image: str
    prompt: str
    variant: p.ImageVideoModel = "lite"
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


def warnings_of(*notes: str | None) -> tuple[str, ...]:
    """A request's warnings: the notes that say something."""
    return tuple(note for note in notes if note)


class _Request(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")
    model: str
    inputs: dict[str, InputFile | None] = Field(default_factory=dict)
    tts: OfflineSpeech | None = None
    display: Display = Field(default_factory=Display)
    warnings: tuple[str, ...] = Field(default=(), description="What the user should know; the job view shows it")


class Speech2VideoBody(BaseModel):
    model_config = _CONFIG
    prompt: str
    quality: Literal["high", "mid"]
    enhance_prompt: bool
    seed: int
    duration: Literal[5, 10, 15]


class Speech2VideoRequest(_Request):
    model: Literal["segmind/higgsfield-speech2video"] = MODEL_S2V
    payload: Speech2VideoBody


class AvatarIVBody(BaseModel):
    model_config = _CONFIG
    video_title: str
    video_orientation: Literal["landscape", "portrait"]
    fit: Literal["cover", "contain"]
    enhance_custom_motion_prompt: bool
    script: str | None = None
    voice_id: str | None = None
    custom_motion_prompt: str | None = None
    resolution: str | None = None


class AvatarIVRequest(_Request):
    model: Literal["segmind/heygen-avatar-iv"] = MODEL_AVATAR
    payload: AvatarIVBody


class LocalRequest(_Request):
    model: Literal["local"] = MODEL_LOCAL
    seed: int = 0
    resolution: int | None = Field(default=None, description="Short side of the video; None: the photo's, to 1080")
    framing: Literal["photo", "portrait", "square", "landscape"] = "photo"
    face_index: int | None = None


class LocalSpeechRequest(_Request):
    model: Literal["local/tts"] = MODEL_LOCAL_TTS


class HiggsfieldTtsBody(BaseModel):
    model_config = _CONFIG
    voice_id: str
    prompt: str
    sound_id: str = ""
    similarity_boost: float
    style: float
    speed: float
    stability: float


class SpeakBody(BaseModel):
    model_config = _CONFIG
    image_url: str
    prompt: str
    quality: Literal["basic", "high"]
    enhance_prompt: bool
    seed: int | None = None
    audio_url: str | None = None
    audio_task_id: str | None = None


class _UnificallyRequest(_Request):
    endpoint: ClassVar[str]


class SpeakRequest(_UnificallyRequest):
    endpoint: ClassVar[str] = "speak"
    model: Literal["unifically/higgsfield-speak"] = MODEL_SPEAK
    payload: SpeakBody
    speech: HiggsfieldTtsBody | None = Field(default=None, description="Higgsfield TTS to run first")


class HiggsfieldTtsRequest(_UnificallyRequest):
    endpoint: ClassVar[str] = "tts"
    model: Literal["unifically/higgsfield-tts"] = MODEL_TTS
    payload: HiggsfieldTtsBody


class ImageVideoBody(BaseModel):
    model_config = _CONFIG
    prompt: str
    start_image_url: str
    model: Literal["lite", "standard", "turbo"]
    enhance_prompt: bool
    end_image_url: str | None = None
    motion_id: str | None = None
    seed: int | None = None


class ImageVideoRequest(_UnificallyRequest):
    endpoint: ClassVar[str] = "generate"
    model: Literal["unifically/higgsfield-generate"] = MODEL_IMAGE_VIDEO
    payload: ImageVideoBody


class ProductAdBody(BaseModel):
    model_config = _CONFIG
    product_placement_sample_id: str
    image: list[str]
    size: str


class ProductAdRequest(_UnificallyRequest):
    endpoint: ClassVar[str] = "ads"
    model: Literal["unifically/higgsfield-ads"] = MODEL_ADS
    payload: ProductAdBody


UnificallyRequest = SpeakRequest | HiggsfieldTtsRequest | ImageVideoRequest | ProductAdRequest
JobRequest = Annotated[
    Speech2VideoRequest | AvatarIVRequest | LocalRequest | LocalSpeechRequest | UnificallyRequest,
    Field(discriminator="model"),
]


@cache
def _adapter() -> TypeAdapter[JobRequest]:
    return TypeAdapter(JobRequest)


def load_request(model: str, data: dict[str, Any]) -> JobRequest:
    """A stored request back from the ledger's JSON. Rows written before requests were typed kept the
    model in its own column and a Higgsfield script's TTS body under `tts`: both are read here."""
    data = {**data, "model": model}
    if model == MODEL_SPEAK and isinstance(data.get("tts"), dict) and "prompt" in data["tts"]:
        data["speech"] = data.pop("tts")
    if model == MODEL_LOCAL and data.get("seed") is None:
        data.pop("seed", None)
    return _adapter().validate_python(data)


def dump_request(request: JobRequest) -> dict[str, Any]:
    """The JSON the ledger stores (load_request reads it back)."""
    return request.model_dump(mode="json", exclude={"model"})
