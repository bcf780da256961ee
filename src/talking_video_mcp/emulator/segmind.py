"""Segmind's wire contract: the async v2 queue for the two talking-head models, credits,
and asset upload (`/upload-asset`, served here on the same host as the API)."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import time
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from talking_video_mcp.emulator import contract
from talking_video_mcp.emulator.dispatch import Call, called_job, endpoint, too_many_requests
from talking_video_mcp.emulator.envelopes import segmind_error
from talking_video_mcp.emulator.state import Job, account_id
from talking_video_mcp.emulator.validate import Fields, json_object

_HEX_ID = re.compile(r"^[0-9a-fA-F]{32}$")
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[\w.+-]+=[^;,]*)*;base64,(?P<data>.*)$", re.DOTALL)
_EXTENSIONS = {
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3", "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp",
    "video/mp4": ".mp4",
}  # fmt: skip
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def routes() -> list[Route]:
    return [
        Route("/v2/requests/{request_id}/status", endpoint("segmind.status", status), methods=["GET"]),
        Route("/v2/requests/{request_id}", endpoint("segmind.result", result), methods=["GET"]),
        Route("/v2/{model}", endpoint("segmind.submit", submit), methods=["POST"]),
        Route("/v1/get-user-credits", endpoint("segmind.credits", credits), methods=["GET"]),
        Route("/upload-asset", endpoint("segmind.upload", upload), methods=["POST"]),
    ]


def _gate(call: Call) -> Response | None:
    """Auth by `x-api-key`, then the per-key rate limit."""
    key = call.request.headers.get("x-api-key", "").strip()
    if not key:
        return segmind_error(401, "Unauthorized: missing x-api-key header")
    if not call.state.config.key_is_valid(key):
        return segmind_error(401, "Unauthorized: invalid API key")
    call.account = account_id(key)
    reset_at = call.state.rate_limit("segmind", call.account)
    if reset_at is not None:
        return too_many_requests("segmind", reset_at)
    return None


def _credits_text(value: float) -> str:
    return f"{round(value, 4):g}"


def _finish(call: Call, response: Response) -> Response:
    """Every authenticated answer carries the remaining credits, like Segmind's."""
    if call.account is not None:
        remaining = call.state.balance("segmind", call.account)
        response.headers["x-remaining-credits"] = _credits_text(remaining)
    return response


def _speech2video(fields: Fields) -> tuple[dict[str, Any], float, float]:
    params: dict[str, Any] = {
        "input_image": fields.url("input_image", required=True),
        "input_audio": fields.url("input_audio", required=True),
        "prompt": fields.text("prompt", required=True),
        "quality": fields.choice("quality", contract.SPEECH2VIDEO_QUALITIES, "high"),
        "enhance_prompt": fields.boolean("enhance_prompt", False),
        "seed": fields.integer("seed", 42, *contract.SEGMIND_SEED_RANGE),
        "duration": fields.choice("duration", contract.SPEECH2VIDEO_DURATIONS, 10),
    }
    price = contract.speech2video_price(params["quality"], params["duration"])
    return params, price, float(params["duration"])


def _heygen(fields: Fields) -> tuple[dict[str, Any], float, float]:
    params: dict[str, Any] = {
        "image_url": fields.url("image_url", required=True),
        "video_title": fields.text("video_title", required=True),
        "script": fields.text("script"),
        "audio_url": fields.url("audio_url"),
        "voice_id": fields.text("voice_id") or contract.HEYGEN_DEFAULT_VOICE,
        "video_orientation": fields.choice("video_orientation", contract.HEYGEN_ORIENTATIONS, "landscape"),
        "fit": fields.choice("fit", contract.HEYGEN_FITS, "cover"),
        "custom_motion_prompt": fields.text("custom_motion_prompt", allow_empty=True),
        "enhance_custom_motion_prompt": fields.boolean("enhance_custom_motion_prompt", False),
        "resolution": fields.text("resolution"),
    }
    voice = fields.body.get("voice_id")
    if isinstance(voice, str) and voice.strip() and not _HEX_ID.match(voice):
        fields.errors.append(f"voice_id must be a 32-character hex voice id, e.g. {contract.HEYGEN_DEFAULT_VOICE}")
    if not fields.given("script") and not fields.given("audio_url"):
        fields.errors.append("either script or audio_url is required")
    return params, contract.HEYGEN_PRICE, float(contract.DEFAULT_VIDEO_SECONDS)


async def submit(call: Call) -> Response:
    model = call.request.path_params["model"]
    if denied := _gate(call):
        return denied
    if model not in contract.SEGMIND_MODELS:
        return _finish(call, segmind_error(404, f"Model {model} not found"))
    if "json" not in call.request.headers.get("content-type", "").lower():
        return _finish(call, segmind_error(406, "Content-Type must be application/json"))
    body = await json_object(call.request)
    if body is None:
        return _finish(call, segmind_error(400, "Request body must be a JSON object"))
    fields = Fields(body)
    params, price, seconds = (_speech2video if model == contract.SEGMIND_SPEECH2VIDEO else _heygen)(fields)
    if fields.errors:
        return _finish(call, segmind_error(400, "; ".join(fields.errors)))
    assert call.account is not None
    state = call.state
    if state.try_charge("segmind", call.account, price) is None:
        left = state.balance("segmind", call.account)
        message = f"Insufficient credits: this request costs {price:g} credits, {_credits_text(left)} left"
        return _finish(call, segmind_error(406, message))
    job = Job(
        id=state.new_id(),
        provider="segmind",
        endpoint=call.endpoint,
        model=model,
        kind=model,
        account=call.account,
        created=state.now(),
        created_wall=time.time(),
        run_s=contract.SEGMIND_RUN_SECONDS[model],
        ttl_s=contract.SEGMIND_RECORD_TTL,
        cost=price,
        media="video",
        media_seconds=seconds,
        params=params,
        sent=sorted(body),
        fail_reason=contract.SEGMIND_FAIL_REASON if call.fault == "fail" else None,
        expired=call.fault == "expire",
    )
    state.add_job(job)
    call.job_id, call.accepted = job.id, True
    status_url = call.url(f"/v2/requests/{job.id}/status")
    body_out = {
        "request_id": job.id,
        "status": "QUEUED",
        "poll_url": status_url,
        "status_url": status_url,
        "response_url": call.url(f"/v2/requests/{job.id}"),
    }
    headers = {"x-request-id": job.id, "x-cost": f"{price:g}"}
    return _finish(call, JSONResponse(body_out, headers=headers))


def _lookup(call: Call) -> tuple[Job | None, Response | None]:
    job, denied = called_job(call, "segmind", _gate)
    if denied is not None:
        return None, denied
    if job is not None and call.fault == "fail":
        call.state.fail_now(job, contract.SEGMIND_FAIL_REASON)
    if job is not None and call.fault == "expire":
        call.state.expire_now(job)
        job = None
    if job is None:
        return None, _finish(call, segmind_error(404, f"Request {call.job_id} not found"))
    call.model = job.model
    call.state.count_poll(job)
    return job, None


def _failed(call: Call, job: Job) -> Response:
    body = {"request_id": job.id, "status": "FAILED", "error": job.fail_reason or contract.SEGMIND_FAIL_REASON}
    return _finish(call, JSONResponse(body, status_code=422, headers={"x-request-id": job.id}))


async def status(call: Call) -> Response:
    job, denied = _lookup(call)
    if job is None:
        assert denied is not None
        return denied
    phase = call.state.phase(job)
    if phase == "failed":
        return _failed(call, job)
    body: dict[str, Any] = {"request_id": job.id, "status": call.state.status_word(job)}
    if phase == "done":
        body["metrics"] = {"inference_time": round(job.run_s * (1 - contract.QUEUED_FRACTION), 2)}
    return _finish(call, JSONResponse(body, headers={"x-request-id": job.id}))


async def result(call: Call) -> Response:
    job, denied = _lookup(call)
    if job is None:
        assert denied is not None
        return denied
    phase = call.state.phase(job)
    if phase == "failed":
        return _failed(call, job)
    body: dict[str, Any] = {"request_id": job.id, "status": call.state.status_word(job), "error": None}
    if phase == "done":
        assert call.account is not None
        body["metrics"] = {
            "inference_time": round(job.run_s * (1 - contract.QUEUED_FRACTION), 2),
            "cost": job.cost,
            "remaining_credits": round(call.state.balance("segmind", call.account), 4),
        }
        body["output"] = _output(call.state.config.segmind_output_shape, call.url(f"/files/{job.output_name}"))
    return _finish(call, JSONResponse(body, headers={"x-request-id": job.id}))


def _output(shape: str, url: str) -> object:
    if shape == "json":
        return json.dumps({"video_url": url})
    if shape == "object":
        return {"video_url": url}
    if shape == "list":
        return [url]
    return url


async def credits(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    assert call.account is not None
    balance = round(call.state.balance("segmind", call.account), 4)
    return _finish(call, JSONResponse({"credits": balance, "free-credits": 0.0}))


async def upload(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    if int(call.request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES:
        return _finish(call, segmind_error(413, f"Payload too large (limit {MAX_UPLOAD_BYTES} bytes)"))
    body = await json_object(call.request)
    if body is None:
        return _finish(call, segmind_error(400, "Request body must be a JSON object"))
    items = body.get("data_urls")
    if not isinstance(items, list) or not items:
        return _finish(call, segmind_error(400, "data_urls must be a non-empty list of data URLs"))
    decoded: list[tuple[str, bytes]] = []
    for index, item in enumerate(items):
        parsed = _decode_data_url(item)
        if parsed is None:
            message = f"data_urls[{index}] must be a base64 data URL: data:<mime>;base64,<data>"
            return _finish(call, segmind_error(400, message))
        decoded.append(parsed)
    urls = []
    for mime, data in decoded:
        ext = _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime) or ".bin"
        name = f"uploads/{call.state.new_id()}{ext}"
        call.state.add_upload(name, data, mime)
        urls.append(call.url(f"/files/{name}"))
    return _finish(call, JSONResponse({call.state.config.upload_response_key: urls}))


def _decode_data_url(item: object) -> tuple[str, bytes] | None:
    if not isinstance(item, str):
        return None
    match = _DATA_URL.match(item)
    if match is None:
        return None
    try:
        data = base64.b64decode("".join(match["data"].split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return (match["mime"].lower(), data) if data else None
