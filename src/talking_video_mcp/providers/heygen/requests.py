"""What a HeyGen job is asked with (`HeygenArgs`) and what its ledger row keeps (`HeygenRequest`).

`HeygenRequest` has the same fields as the domain's stored requests (model, inputs, tts, display, warnings), so
the ledger can hold it once the stored request type is opened to provider packages (issue 23)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.requests import Display, InputFile, OfflineSpeech
from talking_video_mcp.providers.heygen.models import MODEL_ID
from talking_video_mcp.providers.heygen.options import HeygenOptions

Resolution = Literal["720p", "1080p", "4k"]
AspectRatio = Literal["16:9", "9:16", "4:5", "5:4", "1:1", "auto"]


class HeygenArgs(BaseModel):
    """generate_talking_video's arguments that the HeyGen model takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    image: str | None = None
    avatar_preset_id: str | None = Field(default=None, description="A HeyGen avatar look id (list_avatar_presets)")
    audio: str | None = None
    script: str | None = None
    voice_id: str | None = Field(default=None, description="A HeyGen voice (list_voices); needed with a photo")
    prompt: str | None = Field(default=None, description="How the body moves (HeyGen's motion_prompt)")
    resolution: Resolution | None = None
    aspect_ratio: AspectRatio | None = None
    video_title: str | None = None
    options: HeygenOptions = Field(default_factory=HeygenOptions)


class HeygenBody(BaseModel):
    """POST /v3/videos without the photo and audio, which are known only after their upload (job steps)."""

    model_config = ConfigDict(frozen=True)
    type: Literal["image", "avatar"]
    avatar_id: str | None = None
    script: str | None = None
    voice_id: str | None = None
    motion_prompt: str | None = None
    resolution: Resolution | None = None
    aspect_ratio: AspectRatio | None = None
    title: str | None = None
    options: HeygenOptions = Field(default_factory=HeygenOptions)

    def wire(self, media: dict[str, Any]) -> dict[str, Any]:
        """The JSON HeyGen takes: these fields, HeyGen's knobs at the top level, and `media` (image, audio)."""
        body = self.model_dump(mode="json", exclude_none=True, exclude={"options"})
        body.update(self.options.model_dump(mode="json", exclude_none=True))
        if body.get("output_format") == "mp4":
            body.pop("output_format")  # HeyGen's default
        body.update(media)
        return body


class HeygenRequest(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")
    model: Literal["heygen/avatar-iv"] = MODEL_ID
    payload: HeygenBody
    seconds: float | None = Field(default=None, description="Expected video length, when known")
    inputs: dict[str, InputFile | None] = Field(default_factory=dict)
    tts: OfflineSpeech | None = None
    display: Display = Field(default_factory=Display)
    warnings: tuple[str, ...] = ()
