"""Builds the configured providers from settings and maps `model` ids to them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import httpx
from anyio.abc import TaskGroup

from talking_video_mcp import provider_http
from talking_video_mcp.domain.provider import ModelSpec, Provider
from talking_video_mcp.errors import InvalidInput, NotConfigured
from talking_video_mcp.media.url_guard import FetchPolicy
from talking_video_mcp.models import MODEL_LOCAL
from talking_video_mcp.providers.access import ProviderAccess
from talking_video_mcp.providers.inputs_stage import InputsStage
from talking_video_mcp.providers.local import LocalProvider, preset_path
from talking_video_mcp.providers.reads import CachedReads
from talking_video_mcp.providers.render_rate import FILE_NAME as RENDER_RATE_FILE
from talking_video_mcp.providers.render_rate import RenderRates
from talking_video_mcp.providers.segmind import SegmindProvider
from talking_video_mcp.providers.unifically import UnificallyProvider
from talking_video_mcp.settings import Settings

ENV_KEYS = {"segmind": "SEGMIND_API_KEY", "unifically": "UNIFICALLY_API_KEY", "local": ""}


class ProviderRegistry:
    def __init__(self, providers: list[Provider], reads: list[CachedReads] | None = None) -> None:
        self.providers: dict[str, Provider] = {p.name: p for p in providers}
        self._reads = list(reads or [])

    def refresh_reads_in(self, tg: TaskGroup | None) -> None:
        """Interactive reads (balances, catalogues) the request budget cannot take now are refreshed in `tg`,
        in the background, so the call that asked answers at once (providers/reads.py)."""
        for reads in self._reads:
            reads.bind(tg)

    def __iter__(self) -> Iterator[Provider]:
        return iter(self.providers.values())

    def specs(self) -> list[ModelSpec]:
        return [spec for provider in self for spec in provider.models]

    def spec(self, model: str) -> ModelSpec:
        for spec in self.specs():
            if spec.model_id == model:
                return spec
        known = ", ".join(s.model_id for s in self.specs())
        raise InvalidInput("model", f"{model!r} is not a model of this server; use one of: {known}.")

    def provider_for(self, model: str) -> Provider:
        spec = self.spec(model)
        provider = self.providers[spec.provider]
        if not provider.configured:
            raise NotConfigured(
                f"model {model!r} needs {ENV_KEYS[spec.provider]} in the server's environment; "
                f"use model='local' (offline, free) or set the key and restart the server."
            )
        return provider

    def unifically(self) -> UnificallyProvider | None:
        """The Higgsfield client, for the template tools that only it serves."""
        provider = self.providers.get("unifically")
        return provider if isinstance(provider, UnificallyProvider) else None

    def default_model(self) -> str:
        """The first configured cloud model, else the offline renderer."""
        for spec in self.specs():
            if spec.provider != "local" and self.providers[spec.provider].configured and spec.kind == "talking_video":
                return spec.model_id
        return MODEL_LOCAL

    async def aclose(self) -> None:
        for provider in self:
            await provider.aclose()


BudgetFactory = Callable[[str, int], provider_http.Budget]


def _budget_name(provider: str, key: str | None) -> str:
    """Names a key's shared request budget without storing the key: provider and a short digest."""
    return f"{provider}:{hashlib.sha256((key or '').encode()).hexdigest()[:16]}"


def build_registry(settings: Settings, client: httpx.AsyncClient, budgets: BudgetFactory) -> ProviderRegistry:
    """`budgets` (`Ledger.request_budget`) makes the per-key request budgets: in-process on SQLite, in the
    database when several processes share a PostgreSQL ledger."""
    inputs = InputsStage(
        # The server's own outputs (videos, and text_to_speech's audio beside them) are always inputs it may
        # read: a finished speech job's audio_path is meant to be the audio of the next video.
        allowed_roots=[*settings.allowed_roots, settings.videos_dir],
        scratch_dir=settings.home / "scratch",
        client=client,
        preset_lookup=preset_path,
        fetch=FetchPolicy.build(private_ok=settings.fetch_private is not False, allow=settings.fetch_allow),
    )
    segmind_key = settings.segmind_api_key.get_secret_value() if settings.segmind_api_key else None
    unifically_key = settings.unifically_api_key.get_secret_value() if settings.unifically_api_key else None
    segmind = ProviderAccess(segmind_key, settings.segmind_base_url, client,
                             budgets(_budget_name("segmind", segmind_key), settings.segmind_requests_per_minute))
    unifically = ProviderAccess(
        unifically_key, settings.unifically_base_url, client,
        budgets(_budget_name("unifically", unifically_key), settings.unifically_requests_per_minute),
    )
    providers: list[Provider] = [
        SegmindProvider(segmind, upload_url=settings.segmind_upload_url, inputs=inputs),
        UnificallyProvider(unifically, inputs=inputs, unit_price_usd=settings.unifically_unit_price_usd),
        LocalProvider(inputs=inputs, rates=RenderRates(settings.home / RENDER_RATE_FILE)),
    ]
    return ProviderRegistry(providers, reads=[segmind.reads, unifically.reads])
