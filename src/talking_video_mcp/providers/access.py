"""How a cloud provider is reached: what every cloud provider's client is built from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from talking_video_mcp.models import ProviderAccount, ProviderName
from talking_video_mcp.provider_http import Budget, RetryPolicy, send
from talking_video_mcp.providers.reads import CachedReads

if TYPE_CHECKING:
    from talking_video_mcp.providers.inputs_stage import InputsStage

BALANCE_TTL_S = 60.0


class CloudProvider:
    """What every cloud provider client holds: how it reaches its API (key, URL, HTTP client, request budget)
    and the inputs stage that resolves photos and speech for it."""

    def __init__(self, access: ProviderAccess, inputs: InputsStage) -> None:
        self._access = access
        self.base_url = access.root
        self._inputs = inputs

    @property
    def configured(self) -> bool:
        return bool(self._access.api_key)
_BALANCE_FIELDS = {"balance", "balance_unit", "free_credits"}


async def account_of(
    provider: ProviderName, *, configured: bool, endpoint: str, models: list[str], reads: CachedReads,
    read: Callable[[ProviderAccount], Awaitable[None]],
) -> ProviderAccount:
    """A provider's account for get_account: `read` fills in the balance (an urgent request). The balance is
    cached for a minute and never waits on the request budget (reads.py): the answer says how old it is and
    when a newer one comes. One that cannot be read is still shown, with the reason, rather than failing the
    whole call."""
    info = ProviderAccount(provider=provider, configured=configured, endpoint=endpoint, models=models)
    if not configured:
        return info

    async def fetch() -> dict[str, Any]:
        scratch = ProviderAccount(provider=provider, configured=True)
        await read(scratch)
        return scratch.model_dump(include=_BALANCE_FIELDS)

    reading = await reads.read("balance", fetch, ttl_s=BALANCE_TTL_S)
    for name, value in (reading.value or {}).items():
        setattr(info, name, value)
    info.error = reading.error
    info.balance_age_s = reading.age_s
    info.refresh_in_s = None if reading.refresh_in_s is None else round(reading.refresh_in_s)
    info.note = reading.note("balance")
    return info


@dataclass(frozen=True)
class ProviderAccess:
    """The key (None: not configured), the base URL, the process's shared HTTP client, the key's request
    budget, the retry policy for idempotent reads (paid submits are never retried), and the cache of the
    key's interactive reads."""

    api_key: str | None
    base_url: str
    client: httpx.AsyncClient
    budget: Budget
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reads: CachedReads = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", CachedReads(self.budget))

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")

    async def send(
        self, method: str, url: str, *, idempotent: bool, describe: str, retry: RetryPolicy | None = None,
        urgent: bool = False, **request: Any,
    ) -> httpx.Response:
        """One request within the key's budget; only `idempotent` ones are retried (see provider_http.send).
        `urgent`: a read someone waits for, sent before the background polls."""
        return await send(
            self.client, method, url, idempotent=idempotent, budget=self.budget,
            retry=(retry or self.retry) if idempotent else None, describe=describe, urgent=urgent, **request,
        )
