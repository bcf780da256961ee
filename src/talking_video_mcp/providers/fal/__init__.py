"""fal: the queue of photo → talking-video models (HeyGen Avatar IV, OmniHuman 1.5, Kling AI Avatar v2, VEED
Fabric 1.0, InfiniteTalk, Creatify Aurora) through one adapter, the models as data. This package is the whole
provider: catalog.py (the models), models.py (their ModelSpecs), request.py, wire.py, provider.py, and the
declaration below; its sandbox routes are emulator/fal.py."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, SecretStr, field_validator

from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.providers.fal.models import PRICE_SETTING, specs
from talking_video_mcp.providers.fal.request import FalRequest
from talking_video_mcp.providers.plugin import SANDBOX_KEY, BuildContext, ProviderPlugin, ProviderSettings

__all__ = ["PLUGIN", "PRICE_SETTING", "FalSettings"]

# The emulator serves fal's hosts on its one address under these paths (emulator/fal.py).
_SANDBOX_QUEUE, _SANDBOX_REST = "/fal/queue", "/fal/rest"


class FalSettings(ProviderSettings):
    api_key: SecretStr | None = Field(default=None, alias="FAL_KEY")
    base_url: str = Field(default="https://queue.fal.run", alias="FAL_QUEUE_URL")
    rest_url: str = Field(default="https://rest.fal.ai", alias="FAL_REST_URL")
    prices: dict[str, float] = Field(default_factory=dict, alias="FAL_PRICES_USD_PER_S")
    # [I] fal publishes per-user concurrency limits, not a request rate: this keeps polls and submits polite.
    requests_per_minute: int = Field(default=60, ge=1, alias="FAL_REQUESTS_PER_MINUTE")

    @field_validator("prices", mode="before")
    @classmethod
    def _parse_prices(cls, value: Any) -> Any:
        """`model=USD per second` pairs separated by commas (or a JSON object)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            return json.loads(text)
        pairs = [part.partition("=") for part in text.split(",") if part.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ValueError("write model=price pairs separated by commas, e.g. fal/infinitalk=0.03")
        return {name.strip(): price.strip() for name, _, price in pairs}

    @field_validator("prices")
    @classmethod
    def _known_models(cls, value: dict[str, float]) -> dict[str, float]:
        known = {spec.model_id for spec in specs()}
        for name, price in value.items():
            if name not in known:
                raise ValueError(f"{name!r} is not a fal model; use one of {', '.join(sorted(known))}")
            if price < 0:
                raise ValueError(f"the price of {name} must be 0 or more (USD per second)")
        return value

    def for_sandbox(self, emulator_url: str) -> FalSettings:
        return self.model_copy(update={"api_key": SecretStr(SANDBOX_KEY), "base_url": emulator_url + _SANDBOX_QUEUE,
                                       "rest_url": emulator_url + _SANDBOX_REST})


def _build(ctx: BuildContext) -> Provider:
    from talking_video_mcp.providers.fal.provider import FalProvider
    from talking_video_mcp.providers.fal.wire import FalHosts

    settings = ctx.settings
    assert isinstance(settings, FalSettings)
    hosts = FalHosts(queue=settings.base_url, rest=settings.rest_url)
    return FalProvider(ctx.access(), inputs=ctx.inputs, hosts=hosts, prices=settings.prices)


PLUGIN = ProviderPlugin(
    name="fal", title="fal", models=specs(), build=_build, settings=FalSettings, requests=(FalRequest,),
    emulator="talking_video_mcp.emulator.fal", job_ids=("request_id",),
)
