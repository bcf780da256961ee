"""How a cloud provider is reached: what the Segmind and Unifically clients are built from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from talking_video_mcp.errors import ProviderError
from talking_video_mcp.models import ProviderAccount, ProviderName
from talking_video_mcp.provider_http import Budget, RetryPolicy, send


async def account_of(
    provider: ProviderName, *, configured: bool, endpoint: str, models: list[str],
    read: Callable[[ProviderAccount], Awaitable[None]],
) -> ProviderAccount:
    """A provider's account for get_account: `read` fills in the balance. One that cannot be read is still
    shown, with the reason, rather than failing the whole call."""
    info = ProviderAccount(provider=provider, configured=configured, endpoint=endpoint, models=models)
    if configured:
        try:
            await read(info)
        except (ProviderError, ValueError, TypeError) as exc:
            info.error = str(exc)
    return info


@dataclass(frozen=True)
class ProviderAccess:
    """The key (None: not configured), the base URL, the process's shared HTTP client, the key's request
    budget, and the retry policy for idempotent reads (paid submits are never retried)."""

    api_key: str | None
    base_url: str
    client: httpx.AsyncClient
    budget: Budget
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")

    async def send(
        self, method: str, url: str, *, idempotent: bool, describe: str, retry: RetryPolicy | None = None,
        **request: Any,
    ) -> httpx.Response:
        """One request within the key's budget; only `idempotent` ones are retried (see provider_http.send)."""
        return await send(
            self.client, method, url, idempotent=idempotent, budget=self.budget,
            retry=(retry or self.retry) if idempotent else None, describe=describe, **request,
        )
