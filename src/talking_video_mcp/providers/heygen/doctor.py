"""`doctor`'s check of a HeyGen key: one read of /v3/users/me, answered ok, rejected or unreachable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from talking_video_mcp.errors import AuthRejected, ProviderError
from talking_video_mcp.providers.heygen import models as m
from talking_video_mcp.providers.heygen.wire import data_of, raise_for_error

Verdict = Literal["ok", "rejected", "unreachable"]


@dataclass(frozen=True)
class KeyCheck:
    verdict: Verdict
    sentence: str


async def check_key(client: httpx.AsyncClient, api_key: str, base_url: str = m.DEFAULT_BASE_URL,
                    *, timeout_s: float = 10.0) -> KeyCheck:
    """Whether HeyGen accepts `api_key` (never retried: doctor answers quickly). The key is never in the answer."""
    url = f"{base_url.rstrip('/')}/v3/users/me"
    try:
        response = await client.get(url, headers={m.KEY_HEADER: api_key}, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return KeyCheck("unreachable", f"HeyGen at {base_url} could not be reached ({type(exc).__name__}).")
    try:
        raise_for_error(response, "the key check", key_name=m.ENV_API_KEY)
    except AuthRejected:
        return KeyCheck("rejected", f"HeyGen rejected {m.ENV_API_KEY} (HTTP {response.status_code}).")
    except ProviderError as exc:
        return KeyCheck("unreachable", f"HeyGen did not answer the key check properly: {exc}")
    data = data_of(response)
    wallet = data.get("wallet") if isinstance(data, dict) else None
    balance = wallet.get("remaining_balance") if isinstance(wallet, dict) else None
    extra = f"; the API wallet holds {balance} USD" if balance is not None else ""
    return KeyCheck("ok", f"HeyGen accepts {m.ENV_API_KEY}{extra}.")
