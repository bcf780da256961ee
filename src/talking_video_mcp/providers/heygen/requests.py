"""What a HeyGen job stores in the ledger: HeyGen's body (without the photo and audio, known after their
upload) and the expected video length."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from talking_video_mcp.domain.requests import StoredRequest
from talking_video_mcp.providers.heygen.options import HeygenOptions

Resolution = Literal["720p", "1080p", "4k"]
AspectRatio = Literal["16:9", "9:16", "4:5", "5:4", "1:1", "auto"]


class HeygenBody(BaseModel):
    """POST /v3/videos without the photo and audio, which are known only after their upload (job steps)."""

    model_config = ConfigDict(frozen=True, defer_build=True)
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
        body.update(self.options.model_dump(mode="json", exclude_none=True, exclude={"title"}))
        if body.get("output_format") == "mp4":
            body.pop("output_format")  # HeyGen's default
        body.update(media)
        return body


class HeygenRequest(StoredRequest):
    model: Literal["heygen/avatar-iv"] = "heygen/avatar-iv"
    payload: HeygenBody
    seconds: float | None = Field(default=None, description="Expected video length, when known")
