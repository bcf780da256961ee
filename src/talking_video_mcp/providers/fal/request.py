"""What a fal job is asked with (`FalArgs`: our common vocabulary plus the model's `options`) and what it
stores (`FalRequest`: the model's input without its files, and the files to send)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.requests import Display, InputFile, OfflineSpeech, TalkingVideoArgs

_CONFIG = ConfigDict(defer_build=True, frozen=True)


class FalArgs(BaseModel):
    """The arguments a fal model may take; which apply depends on the model (catalog.FalModel.fields)."""

    model_config = _CONFIG
    image: str | None = None
    avatar_preset_id: str | None = None
    audio: str | None = None
    audio_task_id: str | None = None
    script: str | None = None
    voice_id: str | None = None
    prompt: str | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    seed: int | None = None
    duration: float | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    def given(self) -> list[str]:
        """The common arguments the caller set (options excluded)."""
        return [name for name in _COMMON if getattr(self, name) is not None]

    @classmethod
    def of(cls, args: TalkingVideoArgs) -> FalArgs:
        """generate_talking_video's arguments as today's tool parses them; the ones no fal model takes are
        kept apart so the provider can name them in its refusal."""
        data = args.model_dump(exclude_none=True)
        return cls.model_validate({k: v for k, v in data.items() if k in _COMMON})


_COMMON = ("image", "avatar_preset_id", "audio", "audio_task_id", "script", "voice_id", "prompt", "resolution",
           "aspect_ratio", "seed", "duration")


class FalRequest(BaseModel):
    """A validated fal job, as the ledger stores it. `payload` is the model's input except the files in
    `inputs` (keyed by fal's field), which the job sends as data: URIs, uploaded files or URLs."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")
    model: str
    endpoint: str
    payload: dict[str, Any]
    inputs: dict[str, InputFile | None] = Field(default_factory=dict)
    tts: OfflineSpeech | None = None
    display: Display = Field(default_factory=Display)
    warnings: tuple[str, ...] = ()
    speech_seconds: float | None = Field(default=None, description="The speech's length, when known at request time")
    price_per_s: float | None = Field(default=None, description="USD per second; None: unknown")
    frames_from_speech: bool = Field(default=False, description="Set the length in frames from the speech's")
    kind: Literal["talking_video"] = "talking_video"
