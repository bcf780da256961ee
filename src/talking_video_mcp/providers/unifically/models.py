"""Unifically's Higgsfield models as the registry sees them: what each takes, Speak's options (Higgsfield's
names, enums and defaults), prices (a relative cost × UNIFICALLY_UNIT_PRICE_USD) and the cheaper-option
advice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.provider import ModelSpec
from talking_video_mcp.domain.requests import ImageVideoArgs, TalkingVideoArgs, ToolArgs
from talking_video_mcp.providers.unifically import catalog as cat

_NOTE = "relative cost from Higgsfield's guide × UNIFICALLY_UNIT_PRICE_USD (an estimate)"


class SpeakOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    quality: Literal["basic", "high"] = "basic"
    enhance_prompt: bool = Field(default=True, description="Let Higgsfield refine the prompt")


class TtsOptions(BaseModel):
    """Higgsfield TTS's own knobs (its names, ranges and defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    sound_id: str | None = Field(default=None, description="Background sound, from list_sounds")
    similarity_boost: float = Field(default=90, ge=0, le=100)
    style: float = Field(default=60, ge=0, le=100)
    speed: float = Field(default=1.1, ge=0, le=1.2)
    stability: float = Field(default=30, ge=0, le=100)


def models(unit_price_usd: float = 0.05) -> tuple[ModelSpec, ...]:
    """The four models, priced at `unit_price_usd` per unit of Higgsfield's relative cost."""
    def usd(kind: str) -> float:
        return round(cat.RELATIVE_COST[kind] * unit_price_usd, 4)

    speak = ModelSpec(
        cat.MODEL_SPEAK, "unifically", "Higgsfield Speak (Unifically)", cat.TYPICAL_SECONDS[cat.MODEL_SPEAK],
        "photo URL + audio URL, a TTS task, or script + Higgsfield voice → talking video",
        takes=frozenset({"image", "avatar_preset_id", "script", "audio", "audio_task_id", "voice_id", "prompt",
                         "seed"}),
        options=SpeakOptions, price_usd=usd("talking"), price_note=_NOTE,
    )
    return (
        speak,
        ModelSpec(cat.MODEL_TTS, "unifically", "Higgsfield TTS (Unifically)", cat.TYPICAL_SECONDS[cat.MODEL_TTS],
                  "script + voice → speech audio; reusable as audio_task_id", kind="speech", price_usd=usd("tts"),
                  options=TtsOptions,
                  price_note=_NOTE),
        ModelSpec(cat.MODEL_IMAGE_VIDEO, "unifically", "Higgsfield image→video (Unifically)",
                  cat.TYPICAL_SECONDS[cat.MODEL_IMAGE_VIDEO], "image + motion → short clip", kind="image_video",
                  prices=tuple((f"model={v}", usd(v)) for v in cat.IMAGE_VIDEO_MODELS), price_note=_NOTE),
        ModelSpec(cat.MODEL_ADS, "unifically", "Higgsfield ads (Unifically)", cat.TYPICAL_SECONDS[cat.MODEL_ADS],
                  "product image + ad template → ad video", kind="product_ad", price_usd=usd("ad"),
                  price_note=_NOTE),
    )


def cheaper(model: str, args: ToolArgs) -> list[str]:
    """Changes to this request that cost less, each an argument this model takes."""
    if model == cat.MODEL_SPEAK and isinstance(args, TalkingVideoArgs) and args.script:
        return ["audio or audio_task_id instead of a script (no speech step to pay)"]
    if model == cat.MODEL_IMAGE_VIDEO and isinstance(args, ImageVideoArgs) and args.variant != "lite":
        return ["model='lite'"]
    return []
