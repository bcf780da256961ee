"""HeyGen's own knobs for `POST /v3/videos`, under HeyGen's names, enums and defaults (heygen-cli gen/video.go,
the OpenAPI HeyGen generates its CLI from). Defaults are HeyGen's: a field left out is not sent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Background(BaseModel):
    """A solid color (`value`, hex) or an image (`url`); HeyGen's `asset_id` form is not offered here."""

    model_config = _STRICT
    type: Literal["color", "image"]
    value: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="Hex color, type 'color'")
    url: str | None = Field(default=None, description="https URL of the background image, type 'image'")

    @model_validator(mode="after")
    def _matches_type(self) -> Background:
        if self.type == "color" and not self.value:
            raise ValueError("a color background needs value, a hex color such as '#1a2b3c'")
        if self.type == "image" and not self.url:
            raise ValueError("an image background needs url")
        return self


class Caption(BaseModel):
    """Captions: a sidecar SRT always comes back (subtitle_url); `style` also burns them into the video."""

    model_config = _STRICT
    file_format: Literal["srt"] = "srt"
    style: Literal["default"] | None = None


class Engine(BaseModel):
    """The render engine; only for a HeyGen avatar (type avatar). HeyGen's default is avatar_iv."""

    model_config = _STRICT
    type: Literal["avatar_iv", "avatar_v", "avatar_iii"] = "avatar_iv"


class HeygenOptions(BaseModel):
    """HeyGen-only settings (names as HeyGen spells them). Everything left out takes HeyGen's default."""

    model_config = _STRICT
    title: str | None = Field(default=None, max_length=200, description="Default: the script's start")
    expressiveness: Literal["high", "medium", "low"] | None = Field(
        default=None, description="Photo avatars only; HeyGen's default is 'low'")
    fit: Literal["cover", "contain"] | None = Field(default=None, description="How the subject fills the frame")
    remove_background: bool | None = None
    output_format: Literal["mp4", "webm"] = Field(
        default="mp4", description="'webm' has a transparent background (alpha)")
    caption: Caption | None = Field(default=None, description="Ask for captions (an SRT file beside the video)")
    background: Background | None = None
    engine: Engine | None = Field(default=None, description="Only with avatar_preset_id (a HeyGen avatar)")

    @model_validator(mode="after")
    def _avatar_v_has_no_expressiveness(self) -> HeygenOptions:
        if self.engine is not None and self.engine.type == "avatar_v" and self.expressiveness is not None:
            raise ValueError("expressiveness does not apply with engine avatar_v (HeyGen rejects it)")
        return self
