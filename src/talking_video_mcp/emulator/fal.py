"""fal's wire contract: the queue (submit, status with queue position and logs, result, cancel) for the
photo → talking-video models, and the storage upload (token, then the file).

fal answers from three hosts (queue.fal.run, rest.fal.ai, v3.fal.media); the emulator serves them on its
one address under `/fal/queue`, `/fal/rest` and `/fal/cdn`. Like fal, the URLs a submit answers with drop
the model's sub-path (`fal-ai/bytedance/omnihuman/v1.5` → `/fal/queue/fal-ai/bytedance/requests/<id>`).

Sources: fal's Python client (fal-ai/fal, fal_client/client.py) and generated JS endpoint types (fal-ai/fal-js,
endpoints.ts), fal's docs on the queue and errors. Which validation error arrives at submit (422 at once)
and which only when the request runs (COMPLETED with `error`, the result answering 422) is our guess.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from talking_video_mcp.emulator import contract
from talking_video_mcp.emulator.dispatch import Call, called_job, endpoint
from talking_video_mcp.emulator.state import Job, account_id
from talking_video_mcp.emulator.validate import is_http_url, is_int, is_number, json_object

QUEUE = "/fal/queue"
REST = "/fal/rest"
CDN = "/fal/cdn"
DATA_URI_MAX_CHARS = 10 * 1000 * 1000  # "about 10 MB" of data: URI per *_url field (a maintainer's comment)
IMAGE_MAX_BYTES = 7 * 2**20  # larger images fail with image_too_large (our number; fal publishes none)
UPLOAD_MAX_BYTES = 100 * 2**20  # larger files go multipart (client.py's MULTIPART_THRESHOLD)
RECORD_TTL_S = 7 * 86400.0
TOKEN_TTL_S = 3600.0
RETRY_HEADER = "x-fal-needs-retry"  # fal's errors page; providers-next.md calls it X-Fal-Retryable
CONTENT_POLICY_MSG = "The content was flagged by a content checker."
_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[\w.+-]+=[^;,]*)*;base64,(?P<data>.*)$", re.DOTALL)
_LOG_LINES = (
    "Loading the model", "Preparing the face", "Encoding the audio", "Generating frames", "Generating frames",
    "Encoding the video",
)


@dataclass(frozen=True)
class Spec:
    """One model's input, as its endpoints.ts type declares it."""

    required: tuple[str, ...]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    texts: tuple[str, ...] = ()
    urls: tuple[str, ...] = ("image_url", "audio_url")
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    integers: dict[str, tuple[int, int]] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    price_per_s: Callable[[dict[str, Any]], float] = lambda _: 0.1
    run_s: float = 120.0


_AVATAR = Spec(("image_url",), texts=("prompt",), urls=("image_url",))
_FABRIC = Spec(("image_url", "audio_url", "resolution"), {"resolution": ("720p", "480p")},
               price_per_s=lambda p: 0.15 if p["resolution"] == "720p" else 0.08, run_s=150.0)
SPECS: dict[str, Spec] = {
    "fal-ai/heygen/avatar4/image-to-video": Spec(
        ("image_url",),
        {"resolution": ("360p", "480p", "540p", "720p", "1080p"), "talking_style": ("stable", "expressive"),
         "aspect_ratio": ("16:9", "9:16", "4:5", "5:4", "1:1", "auto")},
        {"resolution": "720p", "talking_style": "stable"}, texts=("prompt", "voice", "expression"),
        flags=("caption",), price_per_s=lambda _: 0.10, run_s=240.0,
    ),
    "fal-ai/bytedance/omnihuman/v1.5": Spec(
        ("image_url", "audio_url"), {"resolution": ("720p", "1080p")}, {"resolution": "1080p"},
        texts=("prompt",), urls=("image_url", "audio_url", "mask_url"), flags=("turbo_mode",),
        price_per_s=lambda _: 0.16, run_s=180.0,
    ),
    "fal-ai/kling-video/ai-avatar/v2/standard": Spec(
        ("image_url", "audio_url"), defaults={"prompt": "."}, texts=("prompt",),
        price_per_s=lambda _: 0.0562, run_s=300.0,
    ),
    "fal-ai/kling-video/ai-avatar/v2/pro": Spec(
        ("image_url", "audio_url"), defaults={"prompt": "."}, texts=("prompt",),
        price_per_s=lambda _: 0.087, run_s=420.0,
    ),
    "veed/fabric-1.0": _FABRIC,
    "veed/fabric-1.0/fast": _FABRIC,
    "veed/fabric-1.0/text": Spec(
        ("image_url", "text", "resolution"), {"resolution": ("720p", "480p")}, texts=("text", "voice_description"),
        urls=("image_url",), price_per_s=lambda p: 0.15 if p["resolution"] == "720p" else 0.08, run_s=150.0,
    ),
    "fal-ai/infinitalk": Spec(
        ("image_url", "audio_url", "prompt"),
        {"resolution": ("480p", "720p"), "acceleration": ("none", "regular", "high")},
        {"resolution": "480p", "acceleration": "regular", "num_frames": 145, "seed": 42}, texts=("prompt",),
        integers={"num_frames": (41, 721), "seed": (0, 2**31 - 1)}, price_per_s=lambda _: 0.03, run_s=200.0,
    ),
    "fal-ai/creatify/aurora": Spec(
        ("image_url", "audio_url"), {"resolution": ("480p", "720p")}, {"resolution": "720p"}, texts=("prompt",),
        numbers={"guidance_scale": (0.0, 20.0), "audio_guidance_scale": (0.0, 20.0)},
        price_per_s=lambda _: 0.1, run_s=200.0,
    ),
}
assert set(SPECS) == set(contract.FAL_ENDPOINTS)

_ID = "{owner}/{alias}/requests/{request_id}"


def routes() -> list[Route]:
    return [
        Route(f"{QUEUE}/{_ID}/status", endpoint("fal.status", status), methods=["GET"]),
        Route(f"{QUEUE}/{_ID}/cancel", endpoint("fal.cancel", cancel), methods=["PUT"]),
        Route(f"{QUEUE}/{_ID}", endpoint("fal.result", result), methods=["GET"]),
        Route(QUEUE + "/{endpoint_id:path}", endpoint("fal.submit", submit), methods=["POST"]),
        Route(f"{REST}/storage/auth/token", endpoint("fal.token", token), methods=["POST"]),
        Route(f"{CDN}/files/upload", endpoint("fal.upload", upload), methods=["POST"]),
    ]


def _detail(status: int, items: list[dict[str, Any]], *, retry: bool = False) -> JSONResponse:
    return JSONResponse({"detail": items}, status_code=status, headers={RETRY_HEADER: "true" if retry else "false"})


def _item(name: str, msg: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"loc": ["body", name], "msg": msg, "type": kind, **extra}


def _gate(call: Call) -> Response | None:
    """`Authorization: Key <FAL_KEY>`; anything else is a 401 with fal's `detail` string."""
    scheme, _, key = call.request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "key" or not key.strip():
        return JSONResponse({"detail": "Missing or malformed Authorization header: expected 'Key <FAL_KEY>'"}, 401)
    if not call.state.config.key_is_valid(key.strip()):
        return JSONResponse({"detail": "Invalid API key"}, 401)
    call.account = account_id(key.strip())
    return None


def _media_size(call: Call, value: str) -> int | None:
    """Bytes behind a data: URI or a file uploaded here; None for other URLs (not fetched)."""
    match = _DATA_URI.match(value)
    if match is not None:
        try:
            return len(base64.b64decode("".join(match["data"].split()), validate=True))
        except (binascii.Error, ValueError):
            return -1
    marker = "/files/"
    if marker in value:
        upload = call.state.find_upload(value.split(marker, 1)[1])
        return None if upload is None else len(upload.data)
    return None


def validate(call: Call, spec: Spec, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The model's input with defaults filled in, and a `detail` item per bad field."""
    errors: list[dict[str, Any]] = []
    params = dict(spec.defaults)
    for name in spec.required:
        if body.get(name) is None:
            errors.append(_item(name, "Field required", "missing"))
    for name in spec.urls:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not (is_http_url(value) or value.startswith("data:")):
            errors.append(_item(name, "Input should be a valid URL or data URI", "url_parsing", input=str(value)[:80]))
        elif value.startswith("data:") and len(value) > DATA_URI_MAX_CHARS:
            errors.append(_item(name, f"Data URI is larger than {DATA_URI_MAX_CHARS} characters; upload the file "
                                "to fal storage and pass its URL", "file_too_large"))
        elif _media_size(call, value) == -1:
            errors.append(_item(name, "Data URI is not valid base64", "file_download_error"))
        else:
            params[name] = value
    for name, allowed in spec.enums.items():
        value = body.get(name)
        if value is None:
            continue
        if value not in allowed:
            quoted = ", ".join(f"'{option}'" for option in allowed)
            errors.append(_item(name, f"Input should be {quoted}", "literal_error", ctx={"expected": quoted}))
        else:
            params[name] = value
    typed: tuple[tuple[Any, type, str, str], ...] = (
        (spec.texts, str, "Input should be a valid string", "string_type"),
        (spec.flags, bool, "Input should be a valid boolean", "bool_type"))
    for names, kind, message, error_type in typed:
        for name in names:
            value = body.get(name)
            if value is not None and not isinstance(value, kind):
                errors.append(_item(name, message, error_type))
            elif value is not None:
                params[name] = value
    for name, (low, high) in spec.integers.items():
        value = body.get(name)
        if value is not None and (not is_int(value) or not low <= value <= high):
            errors.append(_item(name, f"Input should be between {low} and {high}", "less_than_equal",
                                ctx={"ge": low, "le": high}))
        elif value is not None:
            params[name] = value
    for name, (flow, fhigh) in spec.numbers.items():
        value = body.get(name)
        if value is not None and (not is_number(value) or not flow <= value <= fhigh):
            errors.append(_item(name, f"Input should be between {flow:g} and {fhigh:g}", "less_than_equal"))
        elif value is not None:
            params[name] = value
    return params, errors


def _urls(call: Call, job: Job) -> dict[str, str]:
    owner, alias = job.endpoint.split("/")[:2]
    base = call.url(f"{QUEUE}/{owner}/{alias}/requests/{job.id}")
    return {"status_url": f"{base}/status", "response_url": base, "cancel_url": f"{base}/cancel"}


async def submit(call: Call) -> Response:
    endpoint_id = call.request.path_params["endpoint_id"]
    if denied := _gate(call):
        return denied
    spec = SPECS.get(endpoint_id)
    if spec is None:
        return JSONResponse({"detail": f"Application '{endpoint_id}' not found"}, status_code=404)
    body = await json_object(call.request)
    if body is None:
        return _detail(422, [{"loc": ["body"], "msg": "Input should be a valid JSON object", "type": "json_invalid"}])
    params, errors = validate(call, spec, body)
    if errors:
        return _detail(422, errors)
    assert call.account is not None
    state = call.state
    seconds = float(contract.DEFAULT_VIDEO_SECONDS)
    job = Job(
        id=state.new_id(), provider="fal", endpoint=endpoint_id, model=endpoint_id, kind=endpoint_id,
        account=call.account, created=state.now(), created_wall=time.time(), run_s=spec.run_s, ttl_s=RECORD_TTL_S,
        cost=round(spec.price_per_s(params) * seconds, 6), media="video", media_seconds=seconds, params=params,
        sent=sorted(body), expired=call.fault == "expire",
    )
    image = params.get("image_url")
    size = _media_size(call, image) if isinstance(image, str) else None
    if size is not None and size > IMAGE_MAX_BYTES:
        job.fail_reason = "image_too_large"
        job.detail = [_item("image_url", f"Image is larger than {IMAGE_MAX_BYTES} bytes", "image_too_large",
                            ctx={"max_bytes": IMAGE_MAX_BYTES})]
    if call.fault == "fail":
        job.fail_reason = "content_policy_violation"
        job.detail = [_item("image_url", CONTENT_POLICY_MSG, "content_policy_violation",
                            url="https://docs.fal.ai/errors#content_policy_violation", categories=["model_moderated"])]
    state.add_job(job)
    call.job_id, call.accepted = job.id, True
    return JSONResponse({"request_id": job.id, **_urls(call, job)}, headers={"x-fal-request-id": job.id})


def _lookup(call: Call) -> tuple[Job | None, Response | None]:
    job, denied = called_job(call, "fal", _gate)
    if denied is not None:
        return None, denied
    if job is not None:
        owner, alias = job.endpoint.split("/")[:2]
        if (call.request.path_params["owner"], call.request.path_params["alias"]) != (owner, alias):
            job = None
    if job is not None and call.fault == "fail":
        job.detail = [_item("image_url", CONTENT_POLICY_MSG, "content_policy_violation")]
        call.state.fail_now(job, "content_policy_violation")
    if job is not None and call.fault == "expire":
        call.state.expire_now(job)
        job = None
    if job is None:
        return None, JSONResponse({"detail": f"Request {call.job_id} not found"}, status_code=404)
    call.model = job.model
    call.state.count_poll(job)
    return job, None


def _logs(call: Call, job: Job, until: float) -> list[dict[str, Any]]:
    """One line per sixth of the run so far, stamped like fal's (`timestamp`, `level`, `source`, `message`)."""
    queued = contract.QUEUED_FRACTION * job.run_s
    share = (job.run_s - queued) / len(_LOG_LINES)
    lines = []
    for index, message in enumerate(_LOG_LINES):
        at = queued + index * share
        if at > until:
            break
        percent = f": {round(100 * index / len(_LOG_LINES))}%" if message == "Generating frames" else ""
        stamp = datetime.fromtimestamp(job.created_wall + at / call.state.config.speed, UTC)
        lines.append({"timestamp": stamp.isoformat(), "level": "INFO", "source": "USER", "message": message + percent})
    return lines


def _error_text(job: Job) -> str:
    if job.canceled:
        return "Request was cancelled by the user"
    return str(job.detail[0]["msg"]) if job.detail else str(job.fail_reason)


async def status(call: Call) -> Response:
    job, denied = _lookup(call)
    if job is None:
        assert denied is not None
        return denied
    phase = call.state.phase(job)
    with_logs = call.request.query_params.get("logs", "0").lower() in ("1", "true")
    elapsed = call.state.provider_elapsed(job.created)
    body: dict[str, Any] = {"request_id": job.id, "response_url": _urls(call, job)["response_url"]}
    if phase == "queued":
        queued = contract.QUEUED_FRACTION * job.run_s
        body.update(status="IN_QUEUE", queue_position=max(0, math.ceil(3 * (1 - elapsed / queued)) - 1))
        return JSONResponse(body, status_code=202)
    if phase == "running":
        body.update(status="IN_PROGRESS", logs=_logs(call, job, elapsed) if with_logs else None)
        return JSONResponse(body, status_code=202)
    body.update(status="COMPLETED", logs=_logs(call, job, job.run_s) if with_logs else None,
                metrics={"inference_time": round(job.run_s * (1 - contract.QUEUED_FRACTION), 2)})
    if phase == "failed":
        body.update(error=_error_text(job), error_type="request_cancelled" if job.canceled else job.fail_reason)
    return JSONResponse(body)


async def result(call: Call) -> Response:
    job, denied = _lookup(call)
    if job is None:
        assert denied is not None
        return denied
    phase = call.state.phase(job)
    if phase in ("queued", "running"):
        return JSONResponse({"detail": "Request is still in progress"}, status_code=400)
    if phase == "failed":
        if job.canceled:
            return _detail(400, [{"loc": [], "msg": _error_text(job), "type": "request_cancelled"}])
        return _detail(422, job.detail or [{"loc": [], "msg": str(job.fail_reason), "type": "internal_error"}])
    name = job.output_name
    return JSONResponse({"video": {"url": call.url(f"/files/{name}"), "content_type": "video/mp4",
                                   "file_name": name.rsplit("/", 1)[1], "file_size": None}})


async def cancel(call: Call) -> Response:
    """202 CANCELLATION_REQUESTED while queued or running (a running one gets a best-effort signal; here it
    always stops); 400 ALREADY_COMPLETED once done; 404 NOT_FOUND. The codes of the last two are our guess."""
    request_id = call.request.path_params["request_id"]
    call.job_id = request_id
    if denied := _gate(call):
        return denied
    assert call.account is not None
    job = call.state.find_job("fal", request_id, call.account)
    if job is None:
        return JSONResponse({"status": "NOT_FOUND"}, status_code=404)
    call.model = job.model
    if call.state.phase(job) in ("queued", "running"):
        job.canceled = True
        call.state.fail_now(job, "request_cancelled")
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)
    return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400)


async def token(call: Call) -> Response:
    """A short-lived upload token; `base_url` is where files go (the CDN host)."""
    if denied := _gate(call):
        return denied
    if call.request.query_params.get("storage_type") != "fal-cdn-v3":
        return JSONResponse({"detail": "storage_type must be fal-cdn-v3"}, status_code=422)
    value = "fal-upload-" + secrets.token_urlsafe(16)
    call.state.add_upload(f"tokens/{value}", b"", "text/plain")
    expires = datetime.now(UTC) + timedelta(seconds=TOKEN_TTL_S)
    return JSONResponse({"token": value, "token_type": "Bearer", "base_url": call.url(CDN),
                         "expires_at": expires.isoformat()})


async def upload(call: Call) -> Response:
    """The raw body, its `Content-Type` and `X-Fal-File-Name`; answers the file's `access_url`."""
    scheme, _, value = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or call.state.find_upload(f"tokens/{value.strip()}") is None:
        return JSONResponse({"detail": "Invalid or expired upload token"}, status_code=401)
    if int(call.request.headers.get("content-length") or 0) > UPLOAD_MAX_BYTES:
        return JSONResponse({"detail": f"Files over {UPLOAD_MAX_BYTES} bytes must use the multipart upload"}, 413)
    data = await call.request.body()
    if not data:
        return JSONResponse({"detail": "Empty upload"}, status_code=400)
    content_type = call.request.headers.get("content-type", "application/octet-stream")
    file_name = call.request.headers.get("x-fal-file-name") or "upload.bin"
    suffix = re.sub(r"[^A-Za-z0-9.]", "", file_name.rsplit(".", 1)[1])[:8] if "." in file_name else "bin"
    name = f"uploads/{call.state.new_id()}.{suffix or 'bin'}"
    call.state.add_upload(name, data, content_type)
    return JSONResponse({"access_url": call.url(f"/files/{name}")})
