"""What a local job stores: the resolved inputs and how to render them."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import Field

from talking_video_mcp.domain.requests import StoredRequest

MODEL_LOCAL: Final = "local"
MODEL_LOCAL_TTS: Final = "local/tts"


class LocalRequest(StoredRequest):
    model: Literal["local"] = MODEL_LOCAL
    seed: int = 0
    resolution: int | None = Field(default=None, description="Short side of the video; None: the photo's, to 1080")
    framing: Literal["photo", "portrait", "square", "landscape"] = "photo"
    face_index: int | None = None

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rows written before the seed had a default stored it as null."""
        if data.get("seed") is None:
            data = {k: v for k, v in data.items() if k != "seed"}
        return data


class LocalSpeechRequest(StoredRequest):
    model: Literal["local/tts"] = MODEL_LOCAL_TTS
