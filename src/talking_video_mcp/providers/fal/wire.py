"""fal's queue and storage on the wire: where requests go, with which headers, and what fal's answers and
errors mean, in one sentence each. Nothing here knows our jobs; provider.py drives it.

Facts [O] from fal's Python client (fal-ai/fal, projects/fal_client/src/fal_client/client.py, auth.py) unless
marked: `Authorization: Key <FAL_KEY>`; submit `POST {queue}/{endpoint_id}` answering request_id,
status_url, response_url and cancel_url (which drop the model's sub-path); `GET status_url?logs=1`;
`GET response_url`; `PUT cancel_url`; the upload token from
`POST {rest}/storage/auth/token?storage_type=fal-cdn-v3`, then the raw file to the CDN's `/files/upload`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from talking_video_mcp.errors import AuthRejected, ProviderError, RateLimited, TransientProviderError
from talking_video_mcp.provider_http import json_or_none
from talking_video_mcp.providers.fal.catalog import FalModel

QUEUE_URL = "https://queue.fal.run"
REST_URL = "https://rest.fal.ai"
# Files larger than this go through fal's storage upload; smaller ones travel inline as data: URIs, which fal
# takes in *_url fields up to about 10 MB [O a fal maintainer's comment; the exact limit is not documented].
INLINE_MAX_BYTES = 5 * 2**20
# [O fal's errors page] the header that says whether a retry can help; providers-next.md names it
# X-Fal-Retryable, so both are read.
RETRY_HEADERS = ("x-fal-needs-retry", "x-fal-retryable")


@dataclass(frozen=True)
class FalHosts:
    """fal's two API hosts (settings FAL_QUEUE_URL and FAL_REST_URL; the emulator serves both on one address).
    The CDN that takes uploads is named by the upload token's `base_url` [I: fal's client posts single
    uploads to the fixed https://v3.fal.media and uses `base_url` for multipart ones; they are the same host
    today], so it needs no setting."""

    queue: str = QUEUE_URL
    rest: str = REST_URL

    def submit_url(self, endpoint: str) -> str:
        return f"{self.queue.rstrip('/')}/{endpoint}"

    @property
    def token_url(self) -> str:
        return f"{self.rest.rstrip('/')}/storage/auth/token"

    def trusted(self, url: object) -> bool:
        """Whether a URL fal answered with is on the queue host: the key goes with every request to it."""
        if not isinstance(url, str):
            return False
        mine, theirs = urlsplit(self.queue), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)


@dataclass(frozen=True)
class Handle:
    """A submitted request, as fal answered its submit."""

    request_id: str
    status_url: str
    response_url: str
    cancel_url: str


def handle_of(body: Any, hosts: FalHosts) -> Handle | None:
    """The submit's answer, or None when it is not one (the caller then cannot tell what fal accepted)."""
    if not isinstance(body, Mapping):
        return None
    urls = [body.get(k) for k in ("status_url", "response_url", "cancel_url")]
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not request_id or not all(hosts.trusted(u) for u in urls):
        return None
    return Handle(request_id, *(str(u) for u in urls))


def key_headers(key: str | None) -> dict[str, str]:
    return {"authorization": f"Key {key or ''}"}


def retryable(response: httpx.Response) -> bool | None:
    for name in RETRY_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            return value.strip().lower() in ("true", "1")
    return None


def detail_items(body: Any) -> list[Mapping[str, Any]]:
    """fal's `detail` list ([{loc, msg, type, ...}]); a string `detail` becomes one item without a field."""
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if isinstance(detail, str):
        return [{"loc": [], "msg": detail, "type": ""}]
    if isinstance(detail, Sequence):
        return [item for item in detail if isinstance(item, Mapping)]
    return []


def _field(item: Mapping[str, Any]) -> str | None:
    loc = item.get("loc")
    if isinstance(loc, Sequence) and not isinstance(loc, str):
        names = [str(part) for part in loc if part != "body" and not isinstance(part, int)]
        return names[0] if names else None
    return None


def refusal_sentence(model: FalModel, items: Sequence[Mapping[str, Any]], fallback: str) -> str:
    """One sentence for fal's refusal of a request, naming our argument (not fal's field)."""
    item = items[0] if items else {}
    kind = str(item.get("type") or "")
    fal_field = _field(item)
    ours = model.arg_of(fal_field) if fal_field else None
    msg = str(item.get("msg") or fallback).rstrip(". ")
    if kind == "content_policy_violation":
        what = f"the {ours}" if ours else "the request"
        return (f"fal's content checker refused {what} for {model.model_id} (content_policy_violation: {msg}); "
                "nothing was charged: change that input (another photo, script or prompt) or try another model.")
    if kind == "image_too_large":
        return (f"image: fal says the photo is too large for {model.model_id} ({msg}); send a smaller photo "
                "(under 4096 px a side and a few MB).")
    if ours:
        return f"{ours}: fal refused it for {model.model_id} ({msg}); change {ours} and submit again."
    return f"fal refused the request for {model.model_id} ({msg})."


def raise_for_status(response: httpx.Response, what: str) -> None:
    """The plain errors of fal's hosts; a 422 (the model refused the input) is the caller's to word."""
    code = response.status_code
    if code < 400:
        return
    body = json_or_none(response)
    items = detail_items(body)
    message = str(items[0].get("msg")) if items else (response.text[:200] or response.reason_phrase)
    if code in (401, 403):
        raise AuthRejected(f"fal rejected the API key (HTTP {code}); check FAL_KEY.", status_code=code)
    if code == 429:
        raise RateLimited(f"fal rate-limited {what}")
    if code >= 500 or retryable(response):
        raise TransientProviderError(f"fal answered HTTP {code} to {what}: {message}", status_code=code)
    raise ProviderError(f"fal answered HTTP {code} to {what}: {message}", status_code=code)


def queue_detail(body: Mapping[str, Any]) -> tuple[str, str | None]:
    """(fal's status word, a sentence for the job's progress) from a status answer."""
    status = str(body.get("status") or "").upper()
    if status == "IN_QUEUE":
        position = body.get("queue_position")
        where = f" at position {int(position) + 1}" if isinstance(position, int) else ""
        return status, f"Waiting in fal's queue{where}."
    if status == "IN_PROGRESS":
        line = last_log(body.get("logs"))
        return status, f"Running on fal: {line}." if line else "Running on fal."
    return status, None


def last_log(logs: Any) -> str | None:
    """The newest log line's message (fal's `logs`: [{timestamp, level, source, message}])."""
    if not isinstance(logs, Sequence) or isinstance(logs, str):
        return None
    for entry in reversed(logs):
        if isinstance(entry, Mapping) and isinstance(entry.get("message"), str) and entry["message"].strip():
            return str(entry["message"]).strip().rstrip(".")[:200]
    return None


def video_url(body: Any) -> str | None:
    """The result's `video.url` [O endpoints.ts: every model here answers `{video: File}`]."""
    video = body.get("video") if isinstance(body, Mapping) else None
    url = video.get("url") if isinstance(video, Mapping) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None
