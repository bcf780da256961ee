"""The plug-in API: how a provider declares itself. A provider is one package that exports one
`ProviderPlugin`; the registry (providers/registry.py) builds everything else from these declarations:
the model ids, the stored-request types the ledger reads, the price table, list_models, the cheaper-option
advice, doctor's lines, the sandbox's emulator routes and the environment variables that exist.

A built-in provider is listed in registry.BUILT_IN; a third-party package adds one with a plain install,
through an entry point in group `talking_video_mcp.providers` whose object is a `ProviderPlugin` (or a
function returning one), or at run time with `registry.register_provider(plugin)`:

    [project.entry-points."talking_video_mcp.providers"]
    acme = "acme_video.provider:PLUGIN"

The fields, in short (see the built-in packages providers/local, providers/segmind, providers/unifically):
- `name`, `title`: the provider id (model ids start with it: `acme/avatar-1`) and its display name.
- `models`: one `ModelSpec` per model: price, limits, the common arguments it `takes`, its `options` schema.
- `build(ctx)`: the client, a `domain.provider.Provider`, from a `BuildContext` (its settings, inputs stage,
  HTTP client, request budget, home folder).
- `settings`: a `ProviderSettings` subclass whose field aliases are the environment variables it reads.
- `requests`: the stored request types (`domain.requests.StoredRequest` subclasses, `model` a Literal).
- `advice(model, args)`: cheaper changes to a request, each an argument that model takes.
- `emulator`: the module with its sandbox routes (`routes() -> list[Route]`), imported only in the sandbox.
- `job_ids`: the job-state keys holding the provider's own ids (named when a job fails after its submit).
- `preset_path(id)`: the bundled photo of one of its avatar presets, when it ships any as files.

A client may also offer, and the tools then use (domain/provider.py): `describe(job) -> JobProgress` (the
detail and ETA check_video_status shows, e.g. a queue position), `cancel(job) -> CancelOutcome` (cancel_job asks
the provider; without it the answer says the provider cannot cancel remotely) and `check_key() -> KeyCheck`
(doctor's line: ok, rejected or unreachable, instead of reading the account). A `ModelSpec` whose `unpriced` is
set (no published price and none set by the operator: one sentence naming the setting) is refused by the spend
guard, and its dry run says the price is unknown.

Before `prepare(model, args)` runs, the registry has refused (in one sentence naming the models that take it)
every common argument the model does not list in `takes` and every option outside its schema, and filled
`args.options` with the schema's defaults: a client reads `args.prompt`, `args.aspect_ratio`, … and
`args.option("quality")`, and maps them to its provider's own fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, SecretStr

from talking_video_mcp.domain.provider import ModelSpec, Provider

if TYPE_CHECKING:
    import httpx

    from talking_video_mcp.domain.requests import StoredRequest, ToolArgs
    from talking_video_mcp.provider_http import Budget
    from talking_video_mcp.providers.access import ProviderAccess
    from talking_video_mcp.providers.inputs_stage import InputsStage

__all__ = ["SANDBOX_KEY", "BuildContext", "ModelSpec", "ProviderPlugin", "ProviderSettings"]

SANDBOX_KEY = "sandbox-key"


class ProviderSettings(BaseModel):
    """A provider's settings; subclasses alias each field to its environment variable
    (`api_key: SecretStr | None = Field(default=None, alias="ACME_API_KEY")`; unaliased fields are not read).
    Name the key variable `<NAME>_API_KEY`: such values are kept out of logs from the first line. A provider
    without a key (`key_env` empty) is always configured."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    api_key: SecretStr | None = None
    base_url: str = ""
    requests_per_minute: int = 60

    def key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None

    def for_sandbox(self, emulator_url: str) -> ProviderSettings:
        """These settings pointed at the sandbox emulator, with the sandbox's own key (a real key never
        leaves for the emulator). Override when the provider has more URLs."""
        return self.model_copy(update={"api_key": SecretStr(SANDBOX_KEY), "base_url": emulator_url})


@dataclass(frozen=True)
class BuildContext:
    """What `ProviderPlugin.build` gets: its own settings and the server's shared services."""

    settings: ProviderSettings
    inputs: InputsStage
    client: httpx.AsyncClient
    budget: Budget
    home: Path
    made: list[ProviderAccess] = field(default_factory=list)

    def access(self) -> ProviderAccess:
        """Key, base URL, HTTP client and request budget in one (providers/access.py); its cached reads are
        refreshed in the background by the registry."""
        from talking_video_mcp.providers.access import ProviderAccess

        access = ProviderAccess(self.settings.key(), self.settings.base_url, self.client, self.budget)
        self.made.append(access)
        return access


@dataclass(frozen=True)
class ProviderPlugin:
    """One provider's declaration (see the module docstring)."""

    name: str
    title: str
    models: tuple[ModelSpec, ...]
    build: Callable[[BuildContext], Provider]
    settings: type[ProviderSettings] = ProviderSettings
    requests: tuple[type[StoredRequest], ...] = ()
    advice: Callable[[str, ToolArgs], list[str]] | None = None
    emulator: str | None = None
    job_ids: tuple[str, ...] = ()
    preset_path: Callable[[str], Path | None] | None = None

    @property
    def key_env(self) -> str:
        """The environment variable of its key ('' when it needs none)."""
        info = self.settings.model_fields.get("api_key")
        return (info.alias or "") if info is not None else ""

    def env_vars(self) -> list[str]:
        """Every environment variable it reads."""
        return [f.alias for f in self.settings.model_fields.values() if f.alias]
