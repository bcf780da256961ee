"""Unifically's Higgsfield API: speak, TTS, image->video, ads, the task feed, templates, balance.

Answers use the `{"code", "data"}` envelope; client errors carry `code: 400` and
`data.message` worded like the provider's docs (seed 002).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from talking_video_mcp.emulator import contract
from talking_video_mcp.emulator.dispatch import Call, endpoint, too_many_requests
from talking_video_mcp.emulator.envelopes import unifically_body, unifically_error
from talking_video_mcp.emulator.state import Job, account_id, iso_utc
from talking_video_mcp.emulator.validate import Fields, is_http_url, json_object

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SIZE = re.compile(r"^(\d{2,4})x(\d{2,4})$")
MAX_SPEAK_SECONDS = 60


def routes() -> list[Route]:
    return [
        Route("/higgsfield/speak", endpoint("unifically.speak", speak), methods=["POST"]),
        Route("/higgsfield/tts", endpoint("unifically.tts", tts), methods=["POST"]),
        Route("/higgsfield/generate", endpoint("unifically.generate", generate), methods=["POST"]),
        Route("/higgsfield/ads", endpoint("unifically.ads", ads), methods=["POST"]),
        Route("/higgsfield/feed/{task_id}", endpoint("unifically.feed", feed), methods=["GET"]),
        Route("/higgsfield/tpl/{kind}", endpoint("unifically.tpl", templates), methods=["GET"]),
        Route("/account", endpoint("unifically.account", account), methods=["GET"]),
    ]


def _gate(call: Call) -> Response | None:
    """Auth by `Authorization: Bearer <key>`, then the per-key rate limit."""
    scheme, _, key = call.request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return unifically_error(401, "Unauthorized: send Authorization: Bearer <API key>")
    if not call.state.config.key_is_valid(key):
        return unifically_error(401, "Unauthorized: invalid API key")
    call.account = account_id(key)
    reset_at = call.state.rate_limit("unifically", call.account)
    if reset_at is not None:
        return too_many_requests("unifically", reset_at)
    return None


def _bad(call: Call, message: str) -> Response:
    """A client error: `code: 400` in the body, HTTP 400 (or 200 if so configured)."""
    return unifically_error(call.state.config.unifically_client_error_http, message, code=400)


async def _body(call: Call) -> tuple[Fields | None, Response | None]:
    if denied := _gate(call):
        return None, denied
    body = await json_object(call.request)
    if body is None:
        return None, _bad(call, "Invalid request body: expected a JSON object")
    return Fields(body), None


def _create(call: Call, fields: Fields, kind: str, params: dict[str, Any], media_seconds: float) -> Response:
    """Charge the account and queue a task; the answer carries only its id."""
    assert call.account is not None
    state = call.state
    price_key = f"generate:{params['model']}" if kind == "generate" else kind
    price = contract.unifically_price(price_key)
    if state.try_charge("unifically", call.account, price) is None:
        balance = state.balance("unifically", call.account)
        message = f"Insufficient balance: this task costs ${price:.4g}, your balance is ${balance:.4g}"
        return unifically_error(402, message)
    job = Job(
        id=state.new_id(),
        provider="unifically",
        endpoint=call.endpoint,
        model=f"higgsfield-{kind}",
        kind=kind,
        account=call.account,
        created=state.now(),
        created_wall=time.time(),
        run_s=contract.UNIFICALLY_RUN_SECONDS[kind],
        ttl_s=contract.UNIFICALLY_TASK_TTL,
        cost=price,
        media="audio" if kind == "tts" else "video",
        media_seconds=media_seconds,
        params=params,
        sent=sorted(fields.body),
        fail_reason=contract.UNIFICALLY_FAIL_REASON if call.fault == "fail" else None,
        expired=call.fault == "expire",
    )
    state.add_job(job)
    call.job_id, call.accepted = job.id, True
    return JSONResponse(unifically_body(200, {"task_id": job.id, "error": {}}))


async def speak(call: Call) -> Response:
    fields, denied = await _body(call)
    if fields is None:
        assert denied is not None
        return denied
    image_url = fields.url("image_url", required=True)
    has_url, has_task = fields.given("audio_url"), fields.given("audio_task_id")
    if has_url and has_task:
        fields.errors.append("You must provide either audio_url or audio_task_id, but not both")
    elif not has_url and not has_task:
        fields.errors.append("You must provide either audio_url or audio_task_id")
    audio_url = fields.url("audio_url")
    audio_task_id = fields.text("audio_task_id")
    params: dict[str, Any] = {
        "image_url": image_url,
        "audio_url": audio_url,
        "audio_task_id": audio_task_id,
        "prompt": fields.text("prompt", required=True),
        "quality": fields.choice(
            "quality", contract.SPEAK_QUALITIES, "basic", message='quality must be either "high" or "basic"'
        ),
        "enhance_prompt": fields.boolean("enhance_prompt", True),
        "seed": fields.integer("seed", None, *contract.UNIFICALLY_SEED_RANGE),
    }
    if fields.errors:
        return _bad(call, fields.errors[0])
    seconds = float(contract.DEFAULT_VIDEO_SECONDS)
    if audio_task_id is not None:
        assert call.account is not None
        source = call.state.find_job("unifically", audio_task_id, call.account)
        if source is None:
            return _bad(call, f"Task {audio_task_id} not found. Please provide a valid TTS task ID.")
        if source.kind != "tts":
            return _bad(call, f"Task {audio_task_id} is not a TTS job. Please provide a valid TTS task ID.")
        word = call.state.status_word(source)
        if word != "completed":
            return _bad(call, f"TTS job is not completed yet (status: {word})")
        seconds = float(min(max(math.ceil(source.media_seconds), 1), MAX_SPEAK_SECONDS))
    return _create(call, fields, "speak", params, seconds)


async def tts(call: Call) -> Response:
    fields, denied = await _body(call)
    if fields is None:
        assert denied is not None
        return denied
    templates = call.ctx.templates
    voice_id = fields.text("voice_id", required=True)
    if voice_id is not None and templates.voice(voice_id) is None:
        fields.errors.append(f'voice_id "{voice_id}" not found; list voices with GET /higgsfield/tpl/voices')
    prompt = fields.text("prompt", required=True)
    sound_id = fields.text("sound_id", allow_empty=True) or ""
    if sound_id and not templates.has("sounds", sound_id):
        fields.errors.append(f'sound_id "{sound_id}" not found; list sounds with GET /higgsfield/tpl/sounds')
    params: dict[str, Any] = {"voice_id": voice_id, "prompt": prompt, "sound_id": sound_id}
    for name, (low, high) in contract.TTS_RANGES.items():
        params[name] = fields.number(name, contract.TTS_DEFAULTS[name], low, high)
    if fields.errors:
        return _bad(call, fields.errors[0])
    seconds = contract.TTS_SECONDS_PER_CHAR * len(prompt or "")
    seconds = min(max(seconds, contract.TTS_MIN_SECONDS), contract.TTS_MAX_SECONDS)
    return _create(call, fields, "tts", params, round(seconds, 2))


async def generate(call: Call) -> Response:
    fields, denied = await _body(call)
    if fields is None:
        assert denied is not None
        return denied
    params: dict[str, Any] = {
        "prompt": fields.text("prompt", required=True),
        "start_image_url": fields.url("start_image_url", required=True),
        "model": fields.choice(
            "model",
            contract.GENERATE_MODELS,
            contract.GENERATE_DEFAULT_MODEL,
            message='model must be one of "lite", "standard" or "turbo"',
        ),
        "motion_id": fields.text("motion_id"),
        "end_image_url": fields.url("end_image_url"),
        "enhance_prompt": fields.boolean("enhance_prompt", True),
        "seed": fields.integer("seed", None, *contract.UNIFICALLY_SEED_RANGE),
    }
    motion_id = params["motion_id"]
    if motion_id is not None and not _UUID.match(motion_id):
        fields.errors.append(
            f'motion_id "{motion_id}" is not a motion UUID; list motions with GET /higgsfield/tpl/motions'
        )
    elif motion_id is not None and not call.ctx.templates.has("motions", motion_id):
        fields.errors.append(
            f'motion_id "{motion_id}" is not a known motion; list motions with GET /higgsfield/tpl/motions'
        )
    if fields.errors:
        return _bad(call, fields.errors[0])
    return _create(call, fields, "generate", params, float(contract.DEFAULT_VIDEO_SECONDS))


async def ads(call: Call) -> Response:
    fields, denied = await _body(call)
    if fields is None:
        assert denied is not None
        return denied
    sample_id = fields.text("product_placement_sample_id", required=True)
    images = fields.body.get("image")
    if images is None:
        fields.errors.append("image is required")
    elif not isinstance(images, list) or not images:
        fields.errors.append("image must be a non-empty list of image URLs")
    else:
        bad = [index for index, url in enumerate(images) if not is_http_url(url)]
        if bad:
            fields.errors.append(f"image[{bad[0]}] must be an http(s) URL")
    size = fields.body.get("size", contract.ADS_DEFAULT_SIZE)
    if not isinstance(size, str) or not _SIZE.match(size):
        fields.errors.append('size must look like "1024x1024" (WIDTHxHEIGHT in pixels)')
    if fields.errors:
        return _bad(call, fields.errors[0])
    params = {"product_placement_sample_id": sample_id, "image": images, "size": size}
    return _create(call, fields, "ads", params, float(contract.DEFAULT_VIDEO_SECONDS))


async def feed(call: Call) -> Response:
    task_id = call.request.path_params["task_id"]
    call.job_id = task_id
    if denied := _gate(call):
        return denied
    assert call.account is not None
    state = call.state
    job = state.find_job("unifically", task_id, call.account)
    if job is not None and call.fault == "fail":
        state.fail_now(job, contract.UNIFICALLY_FAIL_REASON)
    if job is not None and call.fault == "expire":
        state.expire_now(job)
        job = None
    if job is None:
        return unifically_error(404, f"Task {task_id} not found")
    call.model = job.model
    state.count_poll(job)
    word = state.status_word(job)
    data: dict[str, Any] = {
        "task_id": job.id,
        "status": word,
        "type": contract.TASK_TYPES[job.kind],
        "created_at": iso_utc(job.created_wall),
        "output": {},
        "error": {},
    }
    if word == "completed":
        key = "audio_url" if job.media == "audio" else "video_url"
        data["output"] = {key: call.url(f"/files/{job.output_name}")}
    elif word == "failed":
        data["error"] = {"code": "generation_failed", "message": job.fail_reason or contract.UNIFICALLY_FAIL_REASON}
    code = 200
    if call.fault == "code400-processing":
        code = 400
        if word not in ("pending", "processing"):
            data.update(status="processing", output={}, error={})
    return JSONResponse(unifically_body(code, data))


async def templates(call: Call) -> Response:
    kind = call.request.path_params["kind"]
    if denied := _gate(call):
        return denied
    items = call.ctx.templates.catalogue(kind)
    if items is None:
        return unifically_error(404, f"Unknown template list {kind!r}; use voices, avatar-presets, motions or sounds")
    query = call.request.query_params
    size = _query_int(query.get("size"), contract.TEMPLATE_PAGE_DEFAULT)
    if size is None or not 1 <= size <= contract.TEMPLATE_PAGE_MAX:
        return _bad(call, f"size must be an integer between 1 and {contract.TEMPLATE_PAGE_MAX}")
    cursor = _query_int(query.get("cursor"), 0)
    if cursor is None or cursor < 0:
        return _bad(call, "cursor must be a non-negative integer (the cursor returned by the previous page)")
    search = (query.get("search") or "").strip().lower()
    matching = [item for item in items if search in item["name"].lower()]
    page = [_absolute(call, item) for item in matching[cursor : cursor + size]]
    if kind == "motions":
        return JSONResponse(page)
    next_cursor = cursor + size if cursor + size < len(matching) else None
    return JSONResponse({"items": page, "total": len(matching), "cursor": next_cursor})


def _query_int(text: str | None, default: int) -> int | None:
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        return None


def _absolute(call: Call, value: Any) -> Any:
    """Template media are stored as /files/... paths; answer with absolute URLs."""
    if isinstance(value, dict):
        return {key: _absolute(call, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_absolute(call, item) for item in value]
    if isinstance(value, str) and value.startswith("/files/"):
        return call.url(value)
    return value


async def account(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    assert call.account is not None
    balance = round(call.state.balance("unifically", call.account), 4)
    return JSONResponse({"success": True, "code": 200, "data": {"balance_usd": balance, "currency": "USD"}})
