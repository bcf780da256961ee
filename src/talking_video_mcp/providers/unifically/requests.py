"""What a Unifically job stores: the validated Higgsfield body, its inputs and, for Speak from a script, the
TTS step to run first."""

from __future__ import annotations

from typing import Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.requests import StoredRequest

_CONFIG = ConfigDict(defer_build=True, frozen=True)
MODEL_SPEAK: Final = "unifically/higgsfield-speak"
MODEL_TTS: Final = "unifically/higgsfield-tts"
MODEL_IMAGE_VIDEO: Final = "unifically/higgsfield-generate"
MODEL_ADS: Final = "unifically/higgsfield-ads"


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


class _UnificallyRequest(StoredRequest):
    endpoint: ClassVar[str]


class SpeakRequest(_UnificallyRequest):
    endpoint: ClassVar[str] = "speak"
    model: Literal["unifically/higgsfield-speak"] = MODEL_SPEAK
    payload: SpeakBody
    speech: HiggsfieldTtsBody | None = Field(default=None, description="Higgsfield TTS to run first")

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rows written before requests were typed kept a script's TTS body under `tts`."""
        if isinstance(data.get("tts"), dict) and "prompt" in data["tts"]:
            data = {**data, "speech": data["tts"]}
            data.pop("tts")
        return data


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
REQUESTS = (SpeakRequest, HiggsfieldTtsRequest, ImageVideoRequest, ProductAdRequest)
