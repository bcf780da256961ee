"""Reading HeyGen v3's answers: the `{"data": …}` envelope and `{"error": {code, message, param}}` errors, each
turned into one plain sentence (naming our argument where HeyGen names its field)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from talking_video_mcp.errors import (
    AuthRejected,
    InsufficientCredits,
    InvalidInput,
    ProviderError,
    RateLimited,
    RecordNotFound,
    TransientProviderError,
)
from talking_video_mcp.provider_http import json_or_none, reset_delay

# HeyGen's field (its `param`) → our argument of generate_talking_video.
_OUR_ARG = {
    "image": "image", "image.url": "image", "image.asset_id": "image", "image.data": "image", "image.type": "image",
    "avatar_id": "avatar_preset_id", "voice_id": "voice_id", "script": "script", "audio_url": "audio",
    "audio_asset_id": "audio", "motion_prompt": "prompt", "resolution": "resolution", "aspect_ratio": "aspect_ratio",
    "title": "options.title", "file": "image",
}  # fmt: skip


def data_of(response: httpx.Response) -> Any:
    """The `data` of a successful answer (an object or a list), or None when the body is not the envelope."""
    body = json_or_none(response)
    return body.get("data") if isinstance(body, Mapping) else None


def error_of(response: httpx.Response) -> tuple[str, str, str | None]:
    """(code, message, param) of an error answer; a gateway's HTML page gives ("", first text, None)."""
    body = json_or_none(response)
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        param = error.get("param")
        return str(error.get("code") or ""), str(error.get("message") or "").strip(), param if param else None
    return "", response.text[:200].strip(), None


def our_argument(param: str | None) -> str:
    """Our argument for HeyGen's field: a common one, or `options.<field>` for HeyGen's own knobs."""
    if not param:
        return "options"
    return _OUR_ARG.get(param) or f"options.{param}"


def _clause(message: str) -> str:
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:] if message else "no reason given"


def raise_for_error(response: httpx.Response, what: str, *, key_name: str = "HEYGEN_API_KEY") -> None:
    """Raise the one-sentence error an unsuccessful answer means; return for a 2xx."""
    status = response.status_code
    if status < 400:
        return
    code, message, param = error_of(response)
    if status in (401, 403) or code in ("unauthorized", "forbidden"):
        raise AuthRejected(f"HeyGen rejected the API key (HTTP {status}); check {key_name}.", status_code=status)
    if status == 402 or code == "insufficient_credit":
        raise InsufficientCredits(
            "HeyGen's API wallet does not cover this video; top up the API wallet (not the plan's credits) and "
            "try again."
        )
    if status == 429 or code == "rate_limit_exceeded":
        delay = reset_delay(response.headers)
        after = f"; try again in {max(1, round(delay))} s" if delay is not None else "; try again in a minute"
        raise RateLimited(f"HeyGen is rate-limiting this API key during {what}{after}.", retry_after_s=delay)
    if status == 413 or code == "payload_too_large":
        raise InvalidInput(our_argument(param or "file"), "is larger than HeyGen takes (32 MB for an uploaded file); "
                           "send a smaller file or a public https URL.")
    if code == "validation_error" or (status == 400 and not code):
        raise InvalidInput(our_argument(param), f"HeyGen refused it: {_clause(message)}.")
    if code == "asset_not_available":
        raise InvalidInput(our_argument(param), f"HeyGen cannot use the uploaded file: {_clause(message)}.")
    if status == 404 or code == "not_found":
        if param:
            raise InvalidInput(our_argument(param), f"HeyGen does not know it: {_clause(message)}.")
        raise RecordNotFound(f"HeyGen answered 404 to {what}: {_clause(message)}.", status_code=404)
    if status >= 500:
        raise TransientProviderError(f"HeyGen answered HTTP {status} to {what}.", status_code=status)
    raise ProviderError(f"HeyGen refused {what} (HTTP {status}, {code or 'no code'}): {_clause(message)}.",
                        status_code=status)
