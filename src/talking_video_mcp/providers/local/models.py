"""The offline models as the registry sees them: free, no key; the renderer's one option."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.provider import ModelSpec
from talking_video_mcp.media.image import LOCAL_MAX_SIDE
from talking_video_mcp.providers.local.requests import MODEL_LOCAL, MODEL_LOCAL_TTS


class LocalOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    face_index: int | None = Field(default=None, ge=0, le=50, description="Which face speaks (0: largest)")


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(MODEL_LOCAL, "local", "Offline renderer", 10.0,
              "photo + script (offline voices) or audio → talking head, rendered on this machine",
              takes=frozenset({"image", "avatar_preset_id", "script", "audio", "audio_task_id", "voice_id", "seed",
                               "resolution", "aspect_ratio"}),
              options=LocalOptions, price_usd=0.0, photo_limit=f"longest side {LOCAL_MAX_SIDE} px"),
    ModelSpec(MODEL_LOCAL_TTS, "local", "Offline text to speech", 3.0,
              "script + offline voice → WAV", kind="speech", price_usd=0.0),
)
