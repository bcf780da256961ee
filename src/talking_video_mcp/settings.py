"""One settings model, read from the environment, so every entry point agrees on configuration.

A plain pydantic model that reads its fields' aliases from the environment, rather than pydantic-settings'
BaseSettings: that library and its settings sources cost about 12 ms of every cold start (measured with
benchmarks/bench_cold_start.py, 53 M instructions under callgrind) for what is here one dictionary lookup
per field. The behaviour is the same: keyword arguments win over the environment, names are matched
case-insensitively, list values are split by our validators (never JSON-decoded), unknown names are ignored."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Environment variables whose values are secrets wherever they come from (a provider's key ends in _API_KEY;
# some providers' own names end in _KEY alone: those count from 8 characters, so a flag such as X_KEY=1 does not).
M = TypeVar("M", bound=BaseModel)
_SECRET_SUFFIXES = ("_API_KEY",)
_KEY_SUFFIX, _KEY_MIN_CHARS = "_KEY", 8


def _default_home() -> Path:
    from platformdirs import user_data_dir  # only when TALKING_VIDEO_HOME is unset: 2 ms of start-up otherwise

    return Path(user_data_dir("talking-video-mcp", appauthor=False))


def _default_roots() -> list[Path]:
    return [Path.home()]


def _environment(aliases: list[str]) -> dict[str, str]:
    """The environment variables named by `aliases`, matched case-insensitively."""
    wanted = {alias.upper(): alias for alias in aliases}
    return {wanted[name.upper()]: value for name, value in os.environ.items() if name.upper() in wanted}


class Settings(BaseModel):
    """Configuration from environment variables (names in the README's table); keyword arguments, by the
    same names, override them."""

    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        aliases = [f.alias or name for name, f in type(self).model_fields.items()]
        super().__init__(**{**_environment(aliases), **values})
        # Every value given by keyword: a provider's own settings (its ProviderSettings, read by the registry
        # through `section`) are passed the same way as these.
        self._given = dict(values)

    _given: dict[str, Any] = PrivateAttr(default_factory=dict)

    # The model a call without `model` uses (unset: the free local one; a key alone never makes it paid).
    default_model: str | None = Field(default=None, alias="TALKING_VIDEO_DEFAULT_MODEL")
    # Set by the sandbox (runtime.py): the in-process emulator every cloud provider is pointed at.
    emulator_url: str | None = Field(default=None, alias="TALKING_VIDEO_INTERNAL_EMULATOR_URL")
    sandbox: bool = Field(default=False, alias="TALKING_VIDEO_SANDBOX")
    home: Path = Field(default_factory=_default_home, alias="TALKING_VIDEO_HOME")
    allowed_roots: list[Path] = Field(
        default_factory=_default_roots, alias="TALKING_VIDEO_ALLOWED_ROOTS"
    )
    max_job_cost_usd: float = Field(default=5.0, ge=0, alias="TALKING_VIDEO_MAX_JOB_COST_USD")
    daily_budget_usd: float = Field(default=25.0, ge=0, alias="TALKING_VIDEO_DAILY_BUDGET_USD")
    # A team's per-user limit on top of the total above (OAuth only: without sign-in there is one user).
    user_daily_budget_usd: float | None = Field(default=None, ge=0, alias="TALKING_VIDEO_USER_DAILY_BUDGET_USD")
    http_token: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_HTTP_TOKEN")
    # The server's external base URL (https://videos.example.com): the base of the download links it hands out
    # (unset: the base URL each HTTP request came in on) and, with OAuth 2.1 sign-in (http_app.py, oauth.py),
    # <public_url>/mcp is the audience tokens must name. Then the authorization server that issues them, and
    # the scopes a token must carry.
    public_url: str | None = Field(default=None, alias="TALKING_VIDEO_PUBLIC_URL")
    oauth_issuer: str | None = Field(default=None, alias="TALKING_VIDEO_OAUTH_ISSUER")
    oauth_scopes: list[str] = Field(
        default_factory=lambda: ["mcp:tools"], alias="TALKING_VIDEO_OAUTH_SCOPES"
    )
    http_allowed_hosts: list[str] = Field(
        default_factory=list, alias="TALKING_VIDEO_HTTP_ALLOWED_HOSTS"
    )
    # postgresql://user:password@host:port/dbname: the job ledger on PostgreSQL (unset: SQLite in home).
    database_url: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_DATABASE_URL")
    # Several processes on one database (replicas, workers): a name for this one in leases, logs and the
    # `x-client-id` header sent to providers (unset: host and pid only, and no header).
    replica_id: str | None = Field(default=None, alias="TALKING_VIDEO_REPLICA_ID", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # Local renders this process runs at once (unset: half the CPUs, at least 1; 0: leave them to workers).
    render_slots: int | None = Field(default=None, ge=0, le=64, alias="TALKING_VIDEO_RENDER_SLOTS")
    # Streamable HTTP without server-side sessions, so any replica behind a load balancer can answer.
    http_stateless: bool = Field(default=False, alias="TALKING_VIDEO_HTTP_STATELESS")
    # Signs download links (HMAC-SHA256). Replicas must share it; unset: one is made once in the home folder.
    url_secret: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_URL_SECRET")
    download_url_ttl_s: int = Field(default=86_400, ge=1, le=604_800, alias="TALKING_VIDEO_DOWNLOAD_URL_TTL")
    # How long a create_upload ticket (its upload URL and its upload:// id) can be used, in seconds.
    upload_ttl_s: int = Field(default=3_600, ge=60, le=604_800, alias="TALKING_VIDEO_UPLOAD_TTL")
    # s3://bucket/prefix: finished videos are also kept in S3-compatible storage (unset: the local folder only).
    storage_url: str | None = Field(default=None, alias="TALKING_VIDEO_STORAGE_URL",
                                    pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$")
    # Where download links point at the store, when clients reach it by another name than the server does.
    storage_public_endpoint: str | None = Field(default=None, alias="TALKING_VIDEO_STORAGE_PUBLIC_ENDPOINT",
                                                pattern=r"^https?://[^\s?#]+$")
    # The standard AWS variables, read here so that one settings object describes the store (unset: boto3's
    # own lookup: ~/.aws, instance roles).
    aws_endpoint_url: str | None = Field(default=None, alias="AWS_ENDPOINT_URL")
    aws_access_key_id: str | None = Field(default=None, alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(default=None, alias="AWS_SECRET_ACCESS_KEY")
    aws_region: str | None = Field(default=None, alias="AWS_REGION")

    # The outbound guard (media/url_guard.py): may a user's image/audio URL reach loopback and private addresses?
    # Unset: yes on stdio (one local user, their own file server), no over HTTP and in workers (a team's server).
    fetch_private: bool | None = Field(default=None, alias="TALKING_VIDEO_FETCH_PRIVATE")
    # Hosts and CIDR blocks a user's URL may reach even with the guard on (a team's internal asset store).
    fetch_allow: list[str] = Field(default_factory=list, alias="TALKING_VIDEO_FETCH_ALLOW")

    # Fair shares between signed-in users (OAuth): active jobs each may have, and tool calls a minute each.
    user_max_active_jobs: int = Field(default=3, ge=1, alias="TALKING_VIDEO_USER_MAX_ACTIVE_JOBS")
    user_calls_per_minute: int = Field(default=120, ge=1, alias="TALKING_VIDEO_USER_CALLS_PER_MINUTE")
    # The largest request body the HTTP transport takes (413 above it): room for a 50 MB data: URL, base64-encoded.
    http_max_body_bytes: int = Field(default=72 * 2**20, ge=4096, alias="TALKING_VIDEO_HTTP_MAX_BODY")

    # Polling schedules are written in provider seconds; the sandbox emulator runs faster,
    # so the runner divides its waits by this factor to stay in step with it.
    time_scale: float = Field(default=1.0, gt=0, alias="TALKING_VIDEO_TIME_SCALE")
    emulator_speed: float = Field(default=50.0, gt=0, alias="TALKING_VIDEO_EMULATOR_SPEED")
    http_timeout_s: float = Field(default=30.0, gt=0, alias="TALKING_VIDEO_HTTP_TIMEOUT")
    log_level: str = Field(default="INFO", alias="TALKING_VIDEO_LOG_LEVEL")

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("http_allowed_hosts", "fetch_allow", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fetch_allow")
    @classmethod
    def _check_allow(cls, value: list[str]) -> list[str]:
        import ipaddress  # only when the list is set

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                if any(c in entry for c in "/:@ ") or entry.startswith("."):
                    raise ValueError(f"TALKING_VIDEO_FETCH_ALLOW: {entry!r} is neither a host name nor a CIDR block "
                                     "(such as assets.internal or 10.1.0.0/16)") from None
        return value

    @field_validator("fetch_private", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def guarded(self) -> Settings:
        """These settings for a process that serves a team (HTTP, workers): private addresses refused unless
        TALKING_VIDEO_FETCH_PRIVATE says otherwise."""
        return self if self.fetch_private is not None else self.model_copy(update={"fetch_private": False})

    @field_validator("user_daily_budget_usd", mode="before")
    @classmethod
    def _blank_budget_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value  # `VAR=` in docker-compose

    @field_validator("oauth_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("public_url", "oauth_issuer", mode="before")
    @classmethod
    def _check_url(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            # An issuer is compared as written (some end in "/"); the public URL is a base for paths.
            text = value.strip() if info.field_name == "oauth_issuer" else value.strip().rstrip("/")
            if not text:
                return None
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                name = "TALKING_VIDEO_PUBLIC_URL" if info.field_name == "public_url" else "TALKING_VIDEO_OAUTH_ISSUER"
                raise ValueError(f"{name} must be an http(s) URL such as https://videos.example.com")
            return text
        return value

    @model_validator(mode="after")
    def _check_oauth(self) -> Settings:
        if self.oauth_issuer and not self.public_url:
            raise ValueError(
                "TALKING_VIDEO_OAUTH_ISSUER needs TALKING_VIDEO_PUBLIC_URL (the server's external base URL, the "
                "audience of its tokens)"
            )
        if self.oauth_issuer and self.http_token is not None and self.http_token.get_secret_value():
            raise ValueError("set either TALKING_VIDEO_OAUTH_ISSUER or TALKING_VIDEO_HTTP_TOKEN, not both")
        return self

    @property
    def mcp_url(self) -> str | None:
        """This server's MCP endpoint as clients reach it: the resource (audience) OAuth tokens are for."""
        return f"{self.public_url}/mcp" if self.public_url else None

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str):
            if not text.strip():
                return None
            if not text.strip().startswith(("postgresql://", "postgres://")):
                raise ValueError("TALKING_VIDEO_DATABASE_URL must be a postgresql:// URL (or unset for SQLite)")
            return SecretStr(text.strip())
        return value

    @field_validator("storage_url", "storage_public_endpoint", "aws_endpoint_url", "aws_region",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().rstrip("/") or None
        return value

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(value).expanduser()
        return value

    @property
    def ledger_path(self) -> Path:
        return self.home / "jobs.sqlite"

    @property
    def videos_dir(self) -> Path:
        return self.home / "videos"

    @property
    def local_render_slots(self) -> int:
        if self.render_slots is not None:
            return self.render_slots
        return max(1, (os.cpu_count() or 2) // 2)

    @property
    def uploads_dir(self) -> Path:
        """Photos and recordings people uploaded (create_upload): with the videos, inside a readable root."""
        return self.videos_dir / "uploads"

    @property
    def url_secret_path(self) -> Path:
        return self.home / "url-secret"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def section(self, kind: type[M]) -> M:
        """A provider's settings (`kind`'s aliases are its environment variables), read like these: keyword
        arguments given here win over the environment."""
        aliases = [f.alias for f in kind.model_fields.values() if f.alias]  # unaliased fields read nothing
        given = {k: v for k, v in self._given.items() if k in aliases}
        return kind.model_validate({**_environment(aliases), **given})

    def provider_values(self) -> dict[str, Any]:
        """The keyword values given that are not settings of this model: the providers' (by their variable
        names), e.g. to hand a server subprocess the same configuration."""
        own = {f.alias or name for name, f in type(self).model_fields.items()}
        return {name: value for name, value in self._given.items() if name not in own}

    def is_set(self, name: str) -> bool:
        """Whether environment variable `name` (or the keyword of that name) has a value."""
        value = self._given.get(name) or _environment([name]).get(name)
        return bool(value.get_secret_value() if isinstance(value, SecretStr) else value)

    def secrets(self) -> list[str]:
        """Every configured secret value, for redaction: ours, and any *_API_KEY variable (a provider's key, by
        the plug-in convention; *_KEY too, from 8 characters) from the environment or given by keyword. The
        registry adds the keys it built providers with (`ProviderRegistry.secrets`), whatever their names."""
        values = [self.http_token, self.url_secret, self.aws_secret_access_key]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        for name, value in [*os.environ.items(), *self._given.items()]:
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not isinstance(text, str) or not text or text in found:
                continue
            upper = name.upper()
            if upper.endswith(_SECRET_SUFFIXES) or (upper.endswith(_KEY_SUFFIX) and len(text) >= _KEY_MIN_CHARS):
                found.append(text)
        if self.database_url is not None:
            password = urlsplit(self.database_url.get_secret_value()).password
            if password:
                found.append(password)
        return found
