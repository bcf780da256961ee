"""The one registry of providers: every `ProviderPlugin` (providers/plugin.py) declared by a built-in package,
by an installed package's entry point (group `talking_video_mcp.providers`) or by `register_provider()`, and,
once built from settings, the configured clients. Everything that used to list providers by name asks here:
model ids, stored-request types, prices, advice, environment variables, job ids, speech models.

Entry points are read on first use (when the services open, or a model is listed), never at start-up: a
server's tools/list does not depend on which providers are installed (`model` is checked here)."""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Callable, Iterator
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import httpx
from anyio.abc import TaskGroup
from pydantic import ValidationError

from talking_video_mcp import provider_http
from talking_video_mcp.domain.advice import know_durations
from talking_video_mcp.domain.provider import COMMON_ARGS, ModelSpec, Provider
from talking_video_mcp.domain.requests import TalkingVideoArgs, ToolArgs, declare_request_types
from talking_video_mcp.errors import InvalidInput, NotConfigured
from talking_video_mcp.media.url_guard import FetchPolicy
from talking_video_mcp.providers.plugin import BuildContext, ProviderPlugin
from talking_video_mcp.providers.reads import CachedReads
from talking_video_mcp.settings import Settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "talking_video_mcp.providers"
BUILT_IN = ("talking_video_mcp.providers.local", "talking_video_mcp.providers.segmind",
            "talking_video_mcp.providers.unifically", "talking_video_mcp.providers.heygen",
            "talking_video_mcp.providers.fal")
ADVICE_MODELS = 3  # how many other models a length advice names at most
FREE_MODEL = "local"  # the default when the operator names none (TALKING_VIDEO_DEFAULT_MODEL)
_registered: dict[str, ProviderPlugin] = {}


def register_provider(plugin: ProviderPlugin) -> None:
    """Adds (or replaces, by name) a provider for registries built from now on: the run-time twin of an
    entry point, for tests and embedding."""
    _registered[plugin.name] = plugin
    _catalog.cache_clear()


def unregister_provider(name: str) -> None:
    _registered.pop(name, None)
    _catalog.cache_clear()


@cache
def _entry_point_plugins() -> tuple[ProviderPlugin, ...]:
    found: list[ProviderPlugin] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            value: Any = point.load()
            plugin = value() if callable(value) and not isinstance(value, ProviderPlugin) else value
        except Exception:  # a broken plug-in must not stop the server: it is left out and logged
            log.exception("provider plug-in %r could not be loaded; it is left out", point.name)
            continue
        if isinstance(plugin, ProviderPlugin):
            found.append(plugin)
        else:
            log.warning("entry point %r is not a ProviderPlugin; it is left out", point.name)
    return tuple(found)


@cache
def _catalog() -> tuple[ProviderPlugin, ...]:
    plugins: dict[str, ProviderPlugin] = {}
    for module in BUILT_IN:
        plugin = getattr(importlib.import_module(module), "PLUGIN", None)
        if not isinstance(plugin, ProviderPlugin):  # a package still being built declares nothing yet
            log.warning("built-in provider package %s declares no PLUGIN; it is left out", module)
            continue
        plugins[plugin.name] = plugin
    for plugin in (*_entry_point_plugins(), *_registered.values()):
        plugins[plugin.name] = plugin
    declare_request_types(tuple(kind for plugin in plugins.values() for kind in plugin.requests))
    return tuple(plugins.values())


def plugins() -> tuple[ProviderPlugin, ...]:
    """Every provider declared: built in, installed (entry points) and registered."""
    return _catalog()


def env_vars() -> list[str]:
    """The environment variables the providers read."""
    return [name for plugin in plugins() for name in plugin.env_vars()]


class ProviderRegistry:
    """The built providers by name (and the declarations they came from): what the tools and the runner use."""

    @classmethod
    def declared(cls) -> ProviderRegistry:
        """Every declared provider's models and advice, nothing built: for checks that need no client."""
        registry = cls([], declared=plugins())
        registry.teach_advice()
        return registry

    def __init__(self, providers: list[Provider], reads: list[CachedReads] | None = None, *,
                 declared: tuple[ProviderPlugin, ...] = (), default_model: str | None = None) -> None:
        self.providers: dict[str, Provider] = {p.name: p for p in providers}
        self.plugins: dict[str, ProviderPlugin] = {p.name: p for p in declared}
        self._reads = list(reads or [])
        self._default = default_model
        self.keys: list[str] = []  # the providers' keys, for redaction (settings name only *_API_KEY ones)

    def refresh_reads_in(self, tg: TaskGroup | None) -> None:
        """Interactive reads (balances, catalogues) the request budget cannot take now are refreshed in `tg`,
        in the background, so the call that asked answers at once (providers/reads.py)."""
        for reads in self._reads:
            reads.bind(tg)

    def __iter__(self) -> Iterator[Provider]:
        return iter(self.providers.values())

    def specs(self, kind: str | None = None) -> list[ModelSpec]:
        """Built providers' models (priced from their settings), then those of providers only declared."""
        unbuilt = [plugin.models for name, plugin in self.plugins.items() if name not in self.providers]
        every = [*(p.models for p in self), *unbuilt]
        return [spec for specs in every for spec in specs if kind is None or spec.kind == kind]

    def teach_advice(self) -> None:
        """Gives the length advice (domain/advice.py) each model's durations and the models without a limit."""
        talking = self.specs("talking_video")
        # The first few (free first) that take any length: advice names a handful, list_models has the rest.
        open_ended = sorted((s for s in talking if not s.durations and not s.max_speech_s
                             and {"script", "audio"} <= s.takes), key=lambda s: not s.free)
        unlimited = [f"model='{s.model_id}'" + (" (free)" if s.free else "") for s in open_ended][:ADVICE_MODELS]
        know_durations({s.model_id: s.durations for s in talking if s.durations}, unlimited)

    def spec(self, model: str) -> ModelSpec:
        for spec in self.specs():
            if spec.model_id == model:
                return spec
        known = ", ".join(f"'{s.model_id}'" for s in self.specs("talking_video"))
        raise InvalidInput("model", f"{model!r} is not a model of this server; use one of: {known} (see list_models).")

    def key_env(self, provider: str) -> str:
        plugin = self.plugins.get(provider)
        return plugin.key_env if plugin else ""

    def title(self, provider: str) -> str:
        plugin = self.plugins.get(provider)
        return plugin.title if plugin else provider

    def provider_for(self, model: str) -> Provider:
        spec = self.spec(model)
        provider = self.providers.get(spec.provider)
        if provider is None:
            raise NotConfigured(f"model {model!r} is declared but its provider was not built.")
        if not provider.configured:
            raise NotConfigured(
                f"model {model!r} needs {self.key_env(spec.provider) or 'its key'} in the server's environment; "
                f"use model='{FREE_MODEL}' (offline, free) or set the key and restart the server."
            )
        return provider

    def with_templates(self) -> Any:
        """The provider that serves motion and sound templates (one with a `templates(kind)` method)."""
        return next((p for p in self if callable(getattr(p, "templates", None))), None)

    def default_model(self) -> str:
        """TALKING_VIDEO_DEFAULT_MODEL when the operator set it, else the free local model: a key alone never
        makes a call without `model` a paid one."""
        return self._default or FREE_MODEL

    def job_ids(self) -> tuple[str, ...]:
        """The job-state keys that hold a provider's own ids, for every provider."""
        return tuple(dict.fromkeys(name for plugin in self.plugins.values() for name in plugin.job_ids))

    def cheaper_options(self, model: str, args: ToolArgs) -> list[str]:
        """Changes to this request that cost less, each an argument this model takes (its provider's advice,
        then the free model)."""
        spec = self.spec(model)
        plugin = self.plugins.get(spec.provider)
        options = list(plugin.advice(model, args)) if plugin and plugin.advice else []
        if spec.kind == "talking_video" and not spec.free:
            options.append(f"model='{FREE_MODEL}' (free)")
        elif spec.kind == "speech" and not spec.free:
            options.append(f"provider='{FREE_MODEL}' (free offline voices)")
        return options

    def speech_model(self, provider: str) -> str | None:
        """The text_to_speech model of `provider`, if it has one."""
        return next((s.model_id for s in self.specs("speech") if s.provider == provider), None)

    def check_arguments(self, model: str, args: TalkingVideoArgs) -> TalkingVideoArgs:
        """Refuses, in one sentence, a common argument `model` does not take or an option outside its schema,
        naming the models that take it; returns the arguments with `options` filled with their defaults."""
        spec = self.spec(model)
        talking = self.specs("talking_video")
        for name in COMMON_ARGS:
            if getattr(args, name) is not None and name not in spec.takes:
                others = [s.model_id for s in talking if name in s.takes]
                raise InvalidInput(name, f"{model} does not take it; " + _takers(others))
        return args.model_copy(update={"options": self.check_options(model, args.options)})

    def check_options(self, model: str, given: dict[str, Any] | None) -> dict[str, Any] | None:
        """`options` checked against `model`'s own schema (its declaration's `options`), with its defaults
        filled in; a name it does not have is refused naming the models of the same kind that have it."""
        spec = self.spec(model)
        given = given or {}
        if spec.options is None:
            if given:
                others = [s.model_id for s in self.specs(spec.kind) if s.options is not None]
                raise InvalidInput("options", f"{model} has no options; remove them" + (
                    f" (models with options: {', '.join(others)})." if others else "."))
            return None
        fields = spec.options.model_fields
        for name in given:
            if name not in fields:
                others = [s.model_id for s in self.specs(spec.kind)
                          if s.options is not None and name in s.options.model_fields]
                mine = ", ".join(fields) or "none"
                raise InvalidInput(f"options.{name}", f"is not an option of {model} (its options: {mine}); "
                                   + _takers(others))
        try:
            parsed = spec.options.model_validate(given)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in error["loc"])
            field = fields.get(str(error["loc"][0])) if error["loc"] else None
            allowed = f" (default {field.default!r})" if field is not None and field.default is not None else ""
            raise InvalidInput(f"options.{where}", f"{error['msg']}{allowed}; see list_models for {model}.") from None
        return parsed.model_dump(mode="json")

    async def aclose(self) -> None:
        for provider in self:
            await provider.aclose()


def _takers(models: list[str]) -> str:
    if not models:
        return "no model of this server takes it; remove it."
    return f"remove it, or choose a model that takes it: {', '.join(models)}."


BudgetFactory = Callable[[str, int], provider_http.Budget]


def _budget_name(provider: str, key: str | None) -> str:
    """Names a key's shared request budget without storing the key: provider and a short digest."""
    return f"{provider}:{hashlib.sha256((key or '').encode()).hexdigest()[:16]}"


def build_registry(settings: Settings, client: httpx.AsyncClient, budgets: BudgetFactory) -> ProviderRegistry:
    """Every declared provider, built from its own settings. `budgets` (`Ledger.request_budget`) makes the
    per-key request budgets: in-process on SQLite, in the database when several processes share a PostgreSQL
    ledger. In the sandbox each provider's settings point at the in-process emulator."""
    from talking_video_mcp.providers.inputs_stage import InputsStage

    declared = plugins()  # also declares their stored request types to the ledger's reader
    lookups = [plugin.preset_path for plugin in declared if plugin.preset_path is not None]

    def preset_path(preset_id: str) -> Any:
        return next((path for lookup in lookups if (path := lookup(preset_id)) is not None), None)

    inputs = InputsStage(
        # The server's own outputs (videos, and text_to_speech's audio beside them) are always inputs it may
        # read: a finished speech job's audio_path is meant to be the audio of the next video.
        allowed_roots=[*settings.allowed_roots, settings.videos_dir],
        scratch_dir=settings.home / "scratch",
        client=client,
        preset_lookup=preset_path,
        fetch=FetchPolicy.build(private_ok=settings.fetch_private is not False, allow=settings.fetch_allow),
    )
    providers: list[Provider] = []
    reads: list[CachedReads] = []
    keys: list[str] = []
    for plugin in declared:
        section = settings.section(plugin.settings)
        if settings.emulator_url and plugin.key_env:
            section = section.for_sandbox(settings.emulator_url)
        budget = budgets(_budget_name(plugin.name, section.key()), section.requests_per_minute)
        ctx = BuildContext(settings=section, inputs=inputs, client=client, budget=budget, home=settings.home)
        providers.append(plugin.build(ctx))
        reads.extend(access.reads for access in ctx.made)
        keys.append(section.key() or "")
    registry = ProviderRegistry(providers, reads, declared=declared, default_model=settings.default_model)
    registry.keys = [key for key in keys if key]
    registry.teach_advice()
    return registry
