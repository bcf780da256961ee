"""Segmind: Higgsfield Speak v2 and HeyGen Avatar IV through Segmind's async queue API. This package is the
whole provider: client.py, catalog.py (facts from Segmind's pages), models.py, requests.py, and the
declaration below; its sandbox routes are emulator/segmind.py."""

from __future__ import annotations

from pydantic import Field, SecretStr

from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.providers.plugin import SANDBOX_KEY, BuildContext, ProviderPlugin, ProviderSettings
from talking_video_mcp.providers.segmind.models import MODELS, cheaper
from talking_video_mcp.providers.segmind.requests import AvatarIVRequest, Speech2VideoRequest


class SegmindSettings(ProviderSettings):
    api_key: SecretStr | None = Field(default=None, alias="SEGMIND_API_KEY")
    base_url: str = Field(default="https://api.segmind.com", alias="SEGMIND_BASE_URL")
    upload_url: str = Field(default="https://workflows-api.segmind.com/upload-asset", alias="SEGMIND_UPLOAD_URL")
    requests_per_minute: int = Field(default=50, ge=1, alias="SEGMIND_REQUESTS_PER_MINUTE")

    def for_sandbox(self, emulator_url: str) -> SegmindSettings:
        return self.model_copy(update={"api_key": SecretStr(SANDBOX_KEY), "base_url": emulator_url,
                                       "upload_url": f"{emulator_url}/upload-asset"})


def _build(ctx: BuildContext) -> Provider:
    from talking_video_mcp.providers.segmind.client import SegmindProvider

    settings = ctx.settings
    assert isinstance(settings, SegmindSettings)
    return SegmindProvider(ctx.access(), upload_url=settings.upload_url, inputs=ctx.inputs)


PLUGIN = ProviderPlugin(
    name="segmind", title="Segmind", models=MODELS, build=_build, settings=SegmindSettings,
    requests=(Speech2VideoRequest, AvatarIVRequest), advice=cheaper, emulator="talking_video_mcp.emulator.segmind",
    job_ids=("request_id",),
)
