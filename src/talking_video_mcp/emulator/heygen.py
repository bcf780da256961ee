"""HeyGen's v3 API: videos from a photo or an avatar look, assets, voices, looks, the wallet, and the
presigned result files.

Facts come from HeyGen's OpenAPI as its own CLI ships it (heygen-cli gen/*.go) and its error codes
(internal/errors); where HeyGen publishes nothing (exact messages, how long a presigned URL lives, what an
unknown avatar answers) the emulator picks something plausible and says so with [I]. Answers are `{"data": …}`;
lists add `has_more` and `next_token` and page with `limit` and `token`; errors are
`{"error": {code, message, param, doc_url}}`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
import time
from functools import cache
from typing import Any, Final

import anyio.to_thread
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from talking_video_mcp.emulator import contract, media
from talking_video_mcp.emulator.dispatch import Call, endpoint, too_many_requests
from talking_video_mcp.emulator.envelopes import heygen_error
from talking_video_mcp.emulator.state import Job, account_id
from talking_video_mcp.emulator.validate import is_http_url, json_object

PRICE_PER_SECOND: Final = {"720p": 0.05, "1080p": 0.05, "4k": 0.0667}  # Avatar IV, API wallet
RUN_SECONDS: Final = 300.0  # renders take 5-20 minutes (heygen skills); the emulator takes the short end
VIDEO_TTL: Final = 7 * 86400.0  # [I] how long a video record stays readable
ASSET_MAX_BYTES: Final = 32 * 2**20  # POST /v3/assets: at most 32 MB
ASSET_TYPES: Final = {
    "image/png": "png", "image/jpeg": "jpg", "video/mp4": "mp4", "video/webm": "webm", "audio/mpeg": "mp3",
    "audio/wav": "wav", "audio/x-wav": "wav", "application/pdf": "pdf", "application/x-subrip": "srt",
}  # fmt: skip
ASPECT_RATIOS: Final = ("16:9", "9:16", "4:5", "5:4", "1:1", "auto")
RESOLUTIONS: Final = ("4k", "1080p", "720p")
EXPRESSIVENESS: Final = ("high", "medium", "low")
FITS: Final = ("contain", "cover")
OUTPUT_FORMATS: Final = ("mp4", "webm")
ENGINES: Final = ("avatar_iv", "avatar_v", "avatar_iii")
FAIL_CODE: Final = "MODERATION_REJECTED"  # [I] HeyGen documents failure_code without listing values
FAIL_MESSAGE: Final = "The input image did not pass content moderation."
WORDS_PER_SECOND: Final = 2.5
PAGE_DEFAULT = 20
VOICES_PAGE_MAX, LOOKS_PAGE_MAX = 100, 50  # `limit` is 1-100 for voices, 1-50 for avatar looks
_COMMON: Final = frozenset({
    "type", "script", "voice_id", "voice_settings", "audio_url", "audio_asset_id", "title", "resolution",
    "aspect_ratio", "remove_background", "background", "caption", "callback_url", "callback_id", "output_format",
    "fit", "motion_prompt", "expressiveness", "watermark",
})  # fmt: skip
_FIELDS: Final = {"image": _COMMON | {"image"}, "avatar": _COMMON | {"avatar_id", "engine"}}
_VOICE_NAMES: Final = ("Aria", "Ben", "Chen", "Dalia", "Emeka", "Freya", "Goro", "Hana", "Ivan", "Jade")
_LANGUAGES: Final = ("English", "Spanish", "German", "French", "Japanese")


def routes() -> list[Route]:
    return [
        Route("/v3/videos", endpoint("heygen.videos.create", create_video), methods=["POST"]),
        Route("/v3/videos/{video_id}", endpoint("heygen.videos.get", get_video), methods=["GET"]),
        Route("/v3/assets", endpoint("heygen.assets.create", create_asset), methods=["POST"]),
        Route("/v3/voices", endpoint("heygen.voices", list_voices), methods=["GET"]),
        Route("/v3/avatars/looks", endpoint("heygen.looks", list_looks), methods=["GET"]),
        Route("/v3/users/me", endpoint("heygen.users.me", me), methods=["GET"]),
        Route("/heygen-cdn/{kind}/{video_id}.{ext}", endpoint("heygen.file", serve_file), methods=["GET"]),
    ]


# ---------------------------------------------------------------- catalogues


@cache
def voices() -> list[dict[str, Any]]:
    """45 public voices, the same on every run."""
    out = []
    for i in range(45):
        name = f"{_VOICE_NAMES[i % 10]} {i // 10 + 1}"
        out.append({
            "voice_id": f"{(i * 2654435761) % 2**128:032x}"[:32], "name": name, "language": _LANGUAGES[i % 5],
            "gender": "female" if i % 2 else "male", "preview_audio_url": None, "type": "public",
            "support_pause": True, "support_locale": i % 3 == 0,
        })  # fmt: skip
    return out


@cache
def looks() -> list[dict[str, Any]]:
    """30 avatar looks: photo avatars and studio avatars (a look id is what POST /v3/videos takes)."""
    out = []
    for i in range(30):
        kind = "photo_avatar" if i % 3 else "studio_avatar"
        out.append({
            "id": f"look_{i:04d}", "name": f"{_VOICE_NAMES[i % 10]} look {i // 10 + 1}", "avatar_type": kind,
            "group_id": f"group_{i // 3:03d}", "gender": "female" if i % 2 else "male",
            "default_voice_id": voices()[i]["voice_id"], "preview_image_url": None, "preview_video_url": None,
            "image_width": 1080, "image_height": 1920, "preferred_orientation": "portrait",
            "supported_api_engines": ["avatar_iv", "avatar_iii"] + (["avatar_v"] if kind == "studio_avatar" else []),
            "tags": [],
        })  # fmt: skip
    return out


# ---------------------------------------------------------------- plumbing


def _gate(call: Call) -> Response | None:
    """Auth by `X-Api-Key`, then the per-key rate limit (429 rate_limit_exceeded with Retry-After)."""
    key = call.request.headers.get("x-api-key", "").strip()
    if not key or not call.state.config.key_is_valid(key):
        return heygen_error(401, "unauthorized", "Invalid or missing API key. Send it in the X-Api-Key header.")
    call.account = account_id(key)
    reset_at = call.state.rate_limit("heygen", call.account)
    if reset_at is not None:
        return too_many_requests("heygen", reset_at)
    return None


def _invalid(message: str, param: str | None) -> Response:
    return heygen_error(400, "validation_error", message, param=param)


def _page(call: Call, items: list[dict[str, Any]], most: int) -> Response:
    """One page: `limit` 1..most (default 20), `token` an opaque cursor from the previous page."""
    query = call.request.query_params
    raw_limit = query.get("limit", str(PAGE_DEFAULT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= most:
        return _invalid(f"limit must be an integer between 1 and {most}.", "limit")
    limit, token = int(raw_limit), query.get("token")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
        except (ValueError, binascii.Error):
            return _invalid("token is not a valid pagination token.", "token")
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_token = base64.urlsafe_b64encode(f"o:{start + limit}".encode()).decode() if more else None
    return JSONResponse({"data": page, "has_more": more, "next_token": next_token})


async def list_voices(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    return _page(call, voices(), VOICES_PAGE_MAX)


async def list_looks(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    return _page(call, looks(), LOOKS_PAGE_MAX)


async def me(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    assert call.account is not None
    balance = call.state.balance("heygen", call.account)
    return JSONResponse({"data": {
        "username": f"user_{call.account}", "email": "sandbox@example.com", "first_name": "Sandbox",
        "last_name": "User", "billing_type": "wallet",
        "wallet": {"currency": "usd", "remaining_balance": balance, "auto_reload": {"enabled": False}},
    }})  # fmt: skip


# ---------------------------------------------------------------- assets


async def create_asset(call: Call) -> Response:
    """Multipart `file`, at most 32 MB; the answer names the asset and its public URL."""
    if denied := _gate(call):
        return denied
    length = call.request.headers.get("content-length", "")
    if length.isdigit() and int(length) > ASSET_MAX_BYTES + 64 * 1024:
        return heygen_error(413, "payload_too_large", "The file is larger than 32 MB; use a direct upload.",
                            param="file")
    try:
        form = await call.request.form(max_part_size=ASSET_MAX_BYTES + 1)
    except Exception:  # any unparsable body is the client's fault here
        return _invalid("Expected a multipart/form-data body with a file field.", "file")
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _invalid("file is required.", "file")
    data = await upload.read()
    if len(data) > ASSET_MAX_BYTES:
        return heygen_error(413, "payload_too_large", "The file is larger than 32 MB; use a direct upload.",
                            param="file")
    mime = _sniff(data) or (upload.content_type or "").split(";")[0].strip().lower()
    if mime not in ASSET_TYPES:
        return _invalid("Unsupported file type; send png, jpeg, mp4, webm, mp3, wav, pdf or srt.", "file")
    asset_id = secrets.token_hex(16)
    name = f"uploads/heygen/{asset_id}.{ASSET_TYPES[mime]}"
    call.state.add_upload(name, data, mime)
    return JSONResponse({"data": {"asset_id": asset_id, "url": call.url(f"/files/{name}"), "mime_type": mime,
                                  "size_bytes": len(data)}})


def _sniff(data: bytes) -> str | None:
    """HeyGen detects the MIME type from the bytes."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3"):
        return "audio/mpeg"
    return None


def _asset(call: Call, asset_id: str) -> tuple[str, bytes] | None:
    with_ext = [n for n in call.state.uploads if n.startswith(f"uploads/heygen/{asset_id}.")]
    upload = call.state.find_upload(with_ext[0]) if with_ext else None
    return (upload.content_type, upload.data) if upload else None


def _wav_seconds(data: bytes) -> float | None:
    """A WAV's length from its header (the emulator's stand-in for HeyGen's audio probe)."""
    try:
        pos = 12
        rate = channels = bits = 0
        while pos + 8 <= len(data):
            tag, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
            if tag == b"fmt ":
                channels, rate, _, _, bits = struct.unpack("<HIIHH", data[pos + 10 : pos + 24])
            elif tag == b"data" and rate and channels and bits:
                return float(min(size, len(data) - pos - 8) / (rate * channels * bits // 8))
            pos += 8 + size + (size & 1)
    except struct.error:
        return None
    return None


# ---------------------------------------------------------------- videos


async def create_video(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    body = await json_object(call.request)
    if body is None:
        return _invalid("Request body must be a JSON object.", None)
    checked = _check_video(call, body)
    if isinstance(checked, Response):
        return checked
    params, seconds = checked
    assert call.account is not None
    price = round(PRICE_PER_SECOND[params.get("resolution") or "1080p"] * seconds, 4)
    if call.state.try_charge("heygen", call.account, price) is None:
        balance = call.state.balance("heygen", call.account)
        return heygen_error(402, "insufficient_credit",
                            f"Insufficient credit: this video costs ${price:.4f}, the wallet holds ${balance:.4f}.")
    job = Job(
        id=secrets.token_hex(16), provider="heygen", endpoint=call.endpoint, model="heygen-avatar-iv",
        kind=str(params["type"]), account=call.account, created=call.state.now(), created_wall=time.time(),
        run_s=RUN_SECONDS, ttl_s=VIDEO_TTL, cost=price, media="video", media_seconds=seconds, params=params,
        sent=sorted(body), fail_reason=FAIL_MESSAGE if call.fault == "fail" else None,
        expired=call.fault == "expire",
    )  # fmt: skip
    call.state.add_job(job)
    call.job_id, call.accepted, call.phase = job.id, True, "submit"
    return JSONResponse({"data": {"video_id": job.id, "status": "waiting",
                                  "output_format": params.get("output_format") or "mp4"}})


def _check_video(call: Call, body: dict[str, Any]) -> tuple[dict[str, Any], float] | Response:
    """The body checked the way HeyGen's schema says; the first problem answers 400 with its `param`."""
    kind = body.get("type")
    if kind not in _FIELDS:
        return _invalid("type must be one of 'avatar', 'image' (studio and cinematic_avatar are not emulated).",
                        "type")
    unknown = sorted(set(body) - _FIELDS[kind])
    if unknown:  # [I] HeyGen may ignore unknown fields; refusing them catches client typos here
        return _invalid(f"Unknown field {unknown[0]!r} for type '{kind}'.", unknown[0])
    for name, allowed in (("aspect_ratio", ASPECT_RATIOS), ("resolution", RESOLUTIONS),
                          ("expressiveness", EXPRESSIVENESS), ("fit", FITS), ("output_format", OUTPUT_FORMATS)):
        value = body.get(name)
        if value is not None and value not in allowed:
            return _invalid(f"{name} must be one of {', '.join(map(repr, allowed))}.", name)
    for name in ("script", "voice_id", "audio_url", "audio_asset_id", "motion_prompt", "title", "callback_url"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return _invalid(f"{name} must be a string.", name)
    if body.get("remove_background") is not None and not isinstance(body["remove_background"], bool):
        return _invalid("remove_background must be a boolean.", "remove_background")
    problem = _check_avatar(body) if kind == "avatar" else _check_image(call, body)
    if problem is None:
        problem = _check_extras(call, body)
    if problem is not None:
        return problem
    speech = _speech_seconds(call, body)
    if isinstance(speech, Response):
        return speech
    params = {k: v for k, v in body.items() if k != "image" or not isinstance(v, dict) or v.get("type") != "base64"}
    return params, speech


def _check_avatar(body: dict[str, Any]) -> Response | None:
    avatar = body.get("avatar_id")
    if not isinstance(avatar, str) or not avatar:
        return _invalid("avatar_id is required for type 'avatar'.", "avatar_id")
    if avatar not in {look["id"] for look in looks()}:  # [I] the exact answer to an unknown look
        return heygen_error(404, "not_found", f"Avatar {avatar} not found.", param="avatar_id")
    engine = body.get("engine")
    if engine is not None:
        if not isinstance(engine, dict) or engine.get("type") not in ENGINES:
            return _invalid(f"engine.type must be one of {', '.join(map(repr, ENGINES))}.", "engine.type")
        if engine["type"] == "avatar_v" and body.get("expressiveness") is not None:
            return _invalid("expressiveness is not supported with engine 'avatar_v'.", "expressiveness")
    return None


def _check_image(call: Call, body: dict[str, Any]) -> Response | None:
    image = body.get("image")
    if not isinstance(image, dict):
        return _invalid("image is required for type 'image'.", "image")
    source = image.get("type")
    if source == "url":
        if not is_http_url(image.get("url")):
            return _invalid("image.url must be an http(s) URL.", "image.url")
    elif source == "asset_id":
        asset = _asset(call, str(image.get("asset_id") or ""))
        if asset is None:
            return heygen_error(400, "asset_not_available", "The image asset does not exist or is not ready.",
                                param="image.asset_id")
        if not asset[0].startswith("image/"):
            return _invalid("The image asset is not an image.", "image.asset_id")
    elif source == "base64":
        if not isinstance(image.get("media_type"), str) or not isinstance(image.get("data"), str):
            return _invalid("image.media_type and image.data are required for a base64 image.", "image.data")
        try:
            base64.b64decode(image["data"], validate=True)
        except (ValueError, binascii.Error):
            return _invalid("image.data is not valid base64.", "image.data")
    else:
        return _invalid("image.type must be one of 'url', 'asset_id', 'base64'.", "image.type")
    return None


def _check_extras(call: Call, body: dict[str, Any]) -> Response | None:
    caption = body.get("caption")
    if caption is not None:
        if not isinstance(caption, dict) or caption.get("file_format", "srt") != "srt":
            return _invalid("caption.file_format must be 'srt'.", "caption.file_format")
        if caption.get("style") not in (None, "default"):
            return _invalid("caption.style must be 'default'.", "caption.style")
    background = body.get("background")
    if background is not None:
        kind = background.get("type") if isinstance(background, dict) else None
        if kind == "color":
            if not isinstance(background.get("value"), str) or not background["value"].startswith("#"):
                return _invalid("background.value must be a hex color such as '#ff0000'.", "background.value")
        elif kind == "image":
            if bool(background.get("url")) == bool(background.get("asset_id")):
                return _invalid("give exactly one of background.url or background.asset_id.", "background.url")
        else:
            return _invalid("background.type must be 'color' or 'image'.", "background.type")
    return None


def _speech_seconds(call: Call, body: dict[str, Any]) -> float | Response:
    """How long the video will be: the script read at ~2.5 words a second, or the audio's length."""
    given = [name for name in ("script", "audio_url", "audio_asset_id") if body.get(name)]
    if len(given) != 1:
        return _invalid("Provide exactly one of script, audio_url or audio_asset_id.", given[1] if given else "script")
    if given[0] == "script":
        voice = body.get("voice_id")
        if voice is None and body["type"] == "image":
            return _invalid("voice_id is required when script is provided.", "voice_id")
        if voice is not None and voice not in {v["voice_id"] for v in voices()}:
            return _invalid(f"Voice {voice} not found.", "voice_id")  # [I] the exact answer to an unknown voice
        return max(1.0, round(len(body["script"].split()) / WORDS_PER_SECOND, 1))
    if body.get("voice_id") is not None:
        return _invalid("voice_id only applies with script.", "voice_id")  # [I]
    if given[0] == "audio_url":
        if not is_http_url(body["audio_url"]):
            return _invalid("audio_url must be an http(s) URL.", "audio_url")
        return float(contract.DEFAULT_VIDEO_SECONDS)  # the emulator does not fetch the audio
    asset = _asset(call, body["audio_asset_id"])
    if asset is None:
        return heygen_error(400, "asset_not_available", "The audio asset does not exist or is not ready.",
                            param="audio_asset_id")
    if not asset[0].startswith("audio/"):
        return _invalid("The audio asset is not audio.", "audio_asset_id")
    return round(_wav_seconds(asset[1]) or float(contract.DEFAULT_VIDEO_SECONDS), 2)


def _word(call: Call, job: Job) -> str:
    """waiting → pending → processing → completed | failed (HeyGen's words)."""
    phase = call.state.phase(job)
    if phase == "queued":
        return "waiting" if call.state.provider_elapsed(job.created) < 0.05 * job.run_s else "pending"
    return {"running": "processing", "done": "completed", "failed": "failed"}.get(phase, "failed")


def _presign(call: Call, job: Job, kind: str, ext: str, *, expired: bool = False) -> str:
    """A fresh presigned URL each time it is asked for (like S3's); it lives heygen_url_ttl_s provider seconds."""
    token = secrets.token_urlsafe(12)
    ttl = 0.0 if expired else call.state.config.heygen_url_ttl_s
    job.params.setdefault("_urls", {})[token] = call.state.now() + ttl / call.state.config.speed
    return call.url(f"/heygen-cdn/{kind}/{job.id}.{ext}?X-Amz-Expires={int(ttl)}&X-Amz-Signature={token}")


async def get_video(call: Call) -> Response:
    if denied := _gate(call):
        return denied
    assert call.account is not None
    video_id = call.request.path_params["video_id"]
    call.phase, call.job_id = "status", video_id
    job = call.state.find_job("heygen", video_id, call.account)
    if job is None:
        return heygen_error(404, "not_found", f"Video {video_id} not found.", param="video_id")
    call.state.count_poll(job)
    if call.fault == "fail":
        call.state.fail_now(job, FAIL_MESSAGE)
    word = _word(call, job)
    data: dict[str, Any] = {"id": job.id, "title": job.params.get("title"), "status": word,
                            "created_at": int(job.created_wall)}
    if word == "completed":
        ext = job.params.get("output_format") or "mp4"
        data.update({
            "video_url": _presign(call, job, "videos", ext, expired=call.fault == "expire"),
            "thumbnail_url": None, "duration": job.media_seconds,
            "completed_at": int(job.created_wall + job.run_s / call.state.config.speed),
        })  # fmt: skip
        if job.params.get("caption") is not None:
            data["subtitle_url"] = _presign(call, job, "captions", "srt")
            if job.params["caption"].get("style"):
                data["captioned_video_url"] = _presign(call, job, "videos", ext)
    elif word == "failed":
        data.update({"failure_code": FAIL_CODE, "failure_message": job.fail_reason or FAIL_MESSAGE})
    return JSONResponse({"data": data})


async def serve_file(call: Call) -> Response:
    """The presigned result: 403 AccessDenied once the signature has expired (as S3 answers) [I]."""
    params = call.request.path_params
    job = call.state.jobs.get(params["video_id"])
    token = call.request.query_params.get("X-Amz-Signature", "")
    deadline = job.params.get("_urls", {}).get(token) if job is not None else None
    if job is None or deadline is None or call.state.phase(job) != "done":
        return _s3_error(403, "AccessDenied", "Access Denied")
    if call.fault == "expire" or call.state.now() >= deadline:
        return _s3_error(403, "AccessDenied", "Request has expired")
    call.job_id = job.id
    if params["kind"] == "captions":
        return Response(_srt(job), media_type="application/x-subrip")
    seconds, seed = max(1, round(job.media_seconds)), call.state.config.seed
    return Response(await anyio.to_thread.run_sync(media.mp4_bytes, seconds, seed), media_type="video/mp4")


def _s3_error(status: int, code: str, message: str) -> Response:
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(xml, status_code=status, media_type="application/xml")


def _srt(job: Job) -> str:
    millis = round(job.media_seconds * 1000)
    end = f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}"
    return f"1\n00:00:00,000 --> {end}\n{job.params.get('script') or '(audio)'}\n"
