"""Segmind's two models as the registry sees them: what each takes, its options (Segmind's names, enums and
defaults), price and limits, and the cheaper-option advice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.provider import ModelSpec
from talking_video_mcp.domain.requests import TalkingVideoArgs, ToolArgs
from talking_video_mcp.providers.segmind import catalog as cat
from talking_video_mcp.providers.segmind.requests import MODEL_AVATAR, MODEL_S2V

_OPTIONS = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Speech2VideoOptions(BaseModel):
    model_config = _OPTIONS
    quality: Literal["high", "mid"] = Field(default="high", description="Sets the price")
    enhance_prompt: bool = Field(default=False, description="Let Segmind refine the prompt")


class AvatarIVOptions(BaseModel):
    model_config = _OPTIONS
    video_title: str | None = Field(default=None, max_length=200, description="Default: the script's start")
    fit: Literal["cover", "contain"] = "cover"
    enhance_custom_motion_prompt: bool = Field(default=False, description="Let HeyGen refine the prompt")


_SPEECH = frozenset({"image", "avatar_preset_id", "script", "audio", "audio_task_id", "voice_id", "prompt"})

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        MODEL_S2V, "segmind", "Higgsfield Speak v2 on Segmind", cat.TYPICAL_SECONDS[cat.SPEECH2VIDEO],
        "photo + speech → lip-synced video of 5, 10 or 15 s",
        takes=_SPEECH | {"seed", "duration"}, options=Speech2VideoOptions,
        prices=tuple((f"quality={q}, duration={d}", p) for (q, d), p in sorted(cat.SPEECH2VIDEO_PRICE_USD.items())),
        price_note="$0.86–4.22 by quality × duration", max_speech_s=15.0, durations=cat.DURATIONS,
    ),
    ModelSpec(
        MODEL_AVATAR, "segmind", "HeyGen Avatar IV on Segmind", cat.TYPICAL_SECONDS[cat.AVATAR_IV],
        "photo + script (HeyGen voice) or audio → talking avatar",
        takes=_SPEECH | {"resolution", "aspect_ratio"}, options=AvatarIVOptions,
        price_usd=cat.AVATAR_IV_PRICE_USD,
    ),
)


def cheaper(model: str, args: ToolArgs) -> list[str]:
    """Changes to this request that cost less, each an argument this model takes."""
    if model != MODEL_S2V or not isinstance(args, TalkingVideoArgs):
        return []
    options: list[str] = []
    if args.option("quality", "high") != "mid":
        options.append("options.quality='mid'")
    shorter = [d for d in cat.DURATIONS if d < (args.duration or 10)]
    if shorter:
        options.append(f"duration={shorter[0]} (if the speech fits)")
    return options
