"""Unifically: Higgsfield Speak, TTS, image→video and ads through Unifically's API. This package is the whole
provider: client.py, catalog.py (facts from Higgsfield's pages), models.py, requests.py, and the declaration
below; its sandbox routes are emulator/unifically.py."""

from __future__ import annotations

from pydantic import Field, SecretStr

from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings
from talking_video_mcp.providers.unifically.models import cheaper, models
from talking_video_mcp.providers.unifically.requests import REQUESTS


class UnificallySettings(ProviderSettings):
    api_key: SecretStr | None = Field(default=None, alias="UNIFICALLY_API_KEY")
    base_url: str = Field(default="https://api.unifically.com", alias="UNIFICALLY_BASE_URL")
    unit_price_usd: float = Field(default=0.05, ge=0, alias="UNIFICALLY_UNIT_PRICE_USD")
    requests_per_minute: int = Field(default=60, ge=1, alias="UNIFICALLY_REQUESTS_PER_MINUTE")


def _build(ctx: BuildContext) -> Provider:
    from talking_video_mcp.providers.unifically.client import UnificallyProvider

    settings = ctx.settings
    assert isinstance(settings, UnificallySettings)
    return UnificallyProvider(ctx.access(), inputs=ctx.inputs, unit_price_usd=settings.unit_price_usd)


PLUGIN = ProviderPlugin(
    name="unifically", title="Unifically", models=models(), build=_build, settings=UnificallySettings,
    requests=REQUESTS, advice=cheaper, emulator="talking_video_mcp.emulator.unifically",
    job_ids=("task_id", "tts_task_id"),
)
