"""HTTP plumbing shared by provider clients: one client factory and a retry policy that retries only
idempotent reads, within a key's request budget (rate_budget.py)."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
from httpx._utils import get_environment_proxies  # what httpx.AsyncClient itself uses

from talking_video_mcp import __version__
from talking_video_mcp.errors import (
    ProviderError,
    RateLimited,
    SubmitOutcomeUnknown,
    TransientProviderError,
)
from talking_video_mcp.rate_budget import Budget, RequestBudget, Sleep

__all__ = ["Budget", "RequestBudget", "RetryPolicy", "json_or_none", "make_client", "reset_delay", "send"]

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def make_client(
    *, timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None, client_id: str | None = None
) -> httpx.AsyncClient:
    """The one place that builds an httpx client, so timeouts and headers are the same everywhere.

    Without `transport`, the client's transports are what httpx would build (the default one, plus one per proxy
    of HTTP(S)_PROXY/ALL_PROXY with NO_PROXY's exceptions), but each is made on its first request: building
    one loads the CA bundle into an SSL context (~30 ms) and imports httpcore, which a server start does not
    need. An explicit `transport` (tests, the emulator) is used as given, with no proxies from the
    environment, as httpx does.

    `client_id` (TALKING_VIDEO_REPLICA_ID) goes out as `x-client-id`, so a provider's (or the emulator's)
    request log tells the replicas of one deployment apart."""
    headers = {"user-agent": f"talking-video-mcp/{__version__}"}
    if client_id:
        headers["x-client-id"] = client_id
    mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None
    if transport is None:
        transport = _LazyTransport()
        # httpx reads proxies from the environment only when it builds the default transport itself.
        mounts = {
            pattern: None if url is None else _LazyTransport(httpx.Proxy(url))
            for pattern, url in get_environment_proxies().items()
        }
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
        headers=headers,
        follow_redirects=True,
        transport=transport,
        mounts=mounts,
    )


class _LazyTransport(httpx.AsyncBaseTransport):
    """`httpx.AsyncHTTPTransport` with httpx.AsyncClient's defaults (verify, trust_env, limits), made on the
    first request instead of at start-up."""

    def __init__(self, proxy: httpx.Proxy | None = None) -> None:
        self._proxy = proxy
        self._transport: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport(proxy=self._proxy)
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


def reset_delay(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds until `x-rate-limit-reset-at-utc` (for providers that send no Retry-After)."""
    raw = headers.get("x-rate-limit-reset-at-utc") or headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - (now or datetime.now(UTC))).total_seconds())


class RetryPolicy:
    """Capped exponential backoff with full jitter, for idempotent requests only."""

    def __init__(self, attempts: int = 5, base_s: float = 0.5, cap_s: float = 20.0, *, sleep: Sleep = anyio.sleep):
        self.attempts = attempts
        self.base_s = base_s
        self.cap_s = cap_s
        self.sleep = sleep

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap_s, self.base_s * (2**attempt)))

    def scaled(self, factor: float) -> RetryPolicy:
        """The same policy with its backoff multiplied by `factor`: a job's reads wait in provider
        time, like its polls (`JobControl.scaled`). Rate-limit reset times stay in real seconds."""
        return RetryPolicy(self.attempts, self.base_s * factor, self.cap_s * factor, sleep=self.sleep)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    idempotent: bool,
    budget: Budget | None = None,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
    params: Mapping[str, Any] | None = None,
    describe: str = "request",
    urgent: bool = False,
) -> httpx.Response:
    """Send one request. Reads are retried on 429/5xx/network errors; a non-idempotent
    (paid) request is sent exactly once, and a failure after it may have reached the
    provider becomes `SubmitOutcomeUnknown`. `urgent`: a read someone waits for, which goes before the
    background polls in the budget."""
    policy = retry or RetryPolicy()
    attempts = policy.attempts if idempotent else 1
    last: ProviderError | None = None
    for attempt in range(attempts):
        if budget is not None:
            await budget.acquire(urgent=urgent)
        try:
            response = await client.request(method, url, headers=headers, json=json, content=content, params=params)
        except httpx.ConnectError as exc:
            # Nothing reached the provider: safe to report as a plain failure, even for a POST.
            last = TransientProviderError(f"could not connect to the provider for {describe} ({type(exc).__name__})")
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if not idempotent:
                raise SubmitOutcomeUnknown(
                    f"the connection failed during {describe} ({type(exc).__name__}); the provider may have "
                    "accepted it"
                ) from None
            last = TransientProviderError(f"network error during {describe} ({type(exc).__name__})")
        else:
            if response.status_code not in RETRYABLE_STATUS:
                return response
            delay = reset_delay(response.headers) if response.status_code == 429 else None
            if response.status_code == 429:
                if budget is not None:
                    budget.block_for(delay if delay is not None else 10.0)
                last = RateLimited(f"the provider rate-limited {describe}", retry_after_s=delay)
            else:
                last = TransientProviderError(
                    f"the provider answered HTTP {response.status_code} to {describe}", status_code=response.status_code
                )
            if not idempotent:
                return response
        if attempt + 1 < attempts:
            wait = policy.delay(attempt)
            if isinstance(last, RateLimited) and last.retry_after_s is not None:
                wait = max(wait, min(last.retry_after_s, 120.0))
            log.info("retrying %s after %.1fs: %s", describe, wait, last)
            await policy.sleep(wait)
    assert last is not None
    raise last


def json_or_none(response: httpx.Response) -> Any:
    """The response body as JSON, or None when it is not JSON (providers answer HTML on some errors)."""
    try:
        return response.json()
    except ValueError:
        return None
