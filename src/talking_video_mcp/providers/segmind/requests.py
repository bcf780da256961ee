"""What a Segmind job stores: the validated provider body and its resolved inputs."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from talking_video_mcp.domain.requests import StoredRequest

_CONFIG = ConfigDict(defer_build=True, frozen=True)
MODEL_S2V: Final = "segmind/higgsfield-speech2video"
MODEL_AVATAR: Final = "segmind/heygen-avatar-iv"


class Speech2VideoBody(BaseModel):
    model_config = _CONFIG
    prompt: str
    quality: Literal["high", "mid"]
    enhance_prompt: bool
    seed: int
    duration: Literal[5, 10, 15]


class Speech2VideoRequest(StoredRequest):
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


class AvatarIVRequest(StoredRequest):
    model: Literal["segmind/heygen-avatar-iv"] = MODEL_AVATAR
    payload: AvatarIVBody
