"""HeyGen's own API (v3): a photo or a HeyGen avatar, speaking a script with a HeyGen voice or an audio file,
rendered by Avatar IV and paid from the API wallet. This package is the whole provider: models.py (the model as
data), options.py (HeyGen's knobs), requests.py, wire.py (its answers and errors), provider.py (the client) and
the declaration below; its sandbox routes are emulator/heygen.py."""

from __future__ import annotations

from pydantic import Field, SecretStr

from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.providers.heygen import models as m
from talking_video_mcp.providers.heygen.requests import HeygenRequest
from talking_video_mcp.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings


class HeygenSettings(ProviderSettings):
    api_key: SecretStr | None = Field(default=None, alias="HEYGEN_API_KEY")
    base_url: str = Field(default=m.DEFAULT_BASE_URL, alias="HEYGEN_BASE_URL")
    requests_per_minute: int = Field(default=m.REQUESTS_PER_MINUTE, ge=1, alias="HEYGEN_REQUESTS_PER_MINUTE")


def _build(ctx: BuildContext) -> Provider:
    from talking_video_mcp.providers.heygen.provider import HeygenProvider

    return HeygenProvider(ctx.access(), inputs=ctx.inputs)


PLUGIN = ProviderPlugin(
    name=m.PROVIDER, title=m.PROVIDER_TITLE, models=m.MODELS, build=_build, settings=HeygenSettings,
    requests=(HeygenRequest,), emulator="talking_video_mcp.emulator.heygen", job_ids=("video_id",),
)
