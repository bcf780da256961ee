"""The job gallery of `serve --transport http`: `/` (the page), `/api/jobs` (what it polls) and
`/videos/{job_id}.mp4` (Range-capable). http_app's bearer-token middleware wraps these routes like `/mcp`;
here they also get the same Host/Origin (DNS-rebinding) checks as `/mcp`."""

from __future__ import annotations

import email.utils
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import urlsplit

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.models import ACTIVE_STATUSES, FINAL_STATUSES, JobStatus, ModelId
from talking_video_mcp.services import Services
from talking_video_mcp.settings import Settings
from talking_video_mcp.tools import jobs
from talking_video_mcp.ui.pages import page
from talking_video_mcp.ui.ranges import RangeNotSatisfiable, parse_range
from talking_video_mcp.ui.state import StateRef
from talking_video_mcp.ui.videos import (
    AUDIO_MIME,
    POSTER_MIME,
    VIDEO_MIME,
    VideoUnavailable,
    audio_file,
    job_text,
    lookup_video,
    poster_file,
    stored_copy,
    valid_job_id,
    video_file,
)

MAX_JOBS = 200
_READ_BLOCK = 256 * 1024
_STATUSES = sorted(ACTIVE_STATUSES | FINAL_STATUSES)
_LOOPBACK_ONLY = TransportSecuritySettings(
    enable_dns_rebinding_protection=True, allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
    allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
)
_COMMON_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def _csp(nonce: str, media: str = "") -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        f"media-src 'self'{media}; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _store_origin(settings: Settings) -> str:
    """The video store's origin for media-src: videos made on another replica play from there."""
    if not settings.storage_url:
        return ""
    endpoint = settings.storage_public_endpoint or settings.aws_endpoint_url
    parts = urlsplit(endpoint) if endpoint else None
    return f" {parts.scheme}://{parts.netloc}" if parts else " https://*.amazonaws.com"


def _error(message: str, status: int, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status,
                        headers={**_COMMON_HEADERS, "cache-control": "no-store", **headers})


def signed_in(request: Request, auth: AuthSettings) -> Response | None:
    """None when the request carries a good access token with the required scopes (the SDK's bearer
    middleware checked it for every route); else the 401/403 the SDK answers on /mcp."""
    metadata = build_resource_metadata_url(auth.resource_server_url) if auth.resource_server_url else None
    hint = f', resource_metadata="{metadata}"' if metadata else ""
    if not isinstance(request.scope.get("user"), AuthenticatedUser):
        return _error("sign in: send an OAuth access token as Authorization: Bearer <token>", 401,
                      **{"www-authenticate": f'Bearer error="invalid_token"{hint}'})
    granted = getattr(request.scope.get("auth"), "scopes", [])
    missing = [s for s in auth.required_scopes or [] if s not in granted]
    if missing:
        return _error(f"the access token lacks the scope {missing[0]}", 403,
                      **{"www-authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(missing)}"{hint}'})
    return None


def _list_jobs(state: Services, status: JobStatus | None, model: str | None, limit: int) -> dict[str, Any]:
    """Blocking: the newest jobs as the gallery shows them."""
    rows = state.store.list_jobs(status=status, model=model, limit=limit, owner=state.owner_id)
    queue = jobs.render_queue(state) if jobs.may_wait_for_slot(state, rows) else None
    out: list[dict[str, Any]] = []
    for job in rows:
        item = jobs.view(state, job, queue).model_dump(mode="json")
        text = job_text(job)
        item.update(script=text.script, voice_id=text.voice_id, prompt=text.prompt, title=text.title,
                    video_src=None, video_bytes=None)
        if job.status == "completed" and job.video_path:
            try:
                size = video_file(state, job).stat().st_size
            except (VideoUnavailable, OSError):
                if job.state.get("storage_key") and state.downloads.storage is not None:
                    item.update(video_src=f"videos/{job.id}.mp4")  # redirected to the store (see `video`)
                else:
                    item["video_missing"] = True
            else:
                item.update(video_src=f"videos/{job.id}.mp4", video_bytes=size)
                if poster_file(state, job) is not None:
                    item["poster_src"] = f"posters/{job.id}.jpg"
        elif job.status == "completed" and job.kind == "speech":
            try:
                audio = audio_file(state, job)
                item.update(audio_src=f"audio/{job.id}{audio.suffix}", audio_bytes=audio.stat().st_size)
            except (VideoUnavailable, OSError):
                item["audio_missing"] = True
        item.pop("audio_path", None)  # a path on the server: nothing a browser can open
        item.pop("video_path", None)
        out.append(item)
    models = sorted(set(get_args(ModelId)) | {j.model for j in rows})
    return {"jobs": out, "models": models, "statuses": _STATUSES, "limit": limit,
            "active": sum(1 for j in rows if j.active)}


async def _file_body(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as fh:
        await fh.seek(start)
        left = length
        while left > 0:
            block = await fh.read(min(_READ_BLOCK, left))
            if not block:
                break
            left -= len(block)
            yield block


def video_response(request: Request, path: Path, job_id: str) -> Response:
    """The file, or the byte range the request asks for (206), or 416."""
    return media_response(request, path, f"{job_id}.mp4", VIDEO_MIME)


def media_response(request: Request, path: Path, name: str, mime: str) -> Response:
    """A finished file (video, audio or poster), or the byte range the request asks for (206), or 416."""
    stat = path.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    headers = {
        **_COMMON_HEADERS,
        "accept-ranges": "bytes",
        "content-type": mime,
        "etag": etag,
        "last-modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        "cache-control": "private, max-age=3600",
        "content-disposition": f'inline; filename="{name}"',
    }
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range is not None and if_range not in (etag, headers["last-modified"]):
        wanted = None  # the file changed since the client's copy: send it whole
    try:
        byte_range = parse_range(wanted, size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "content-range": f"bytes */{size}"})
    status = 200
    start, length = 0, size
    if byte_range is not None:
        status = 206
        start, length = byte_range[0], byte_range[1] - byte_range[0] + 1
        headers["content-range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{size}"
    headers["content-length"] = str(length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_file_body(path, start, length), status_code=status, headers=headers)


async def _job_file(request: Request, state: Services) -> Response:
    """A finished job's other files: a text_to_speech job's audio, or a video's poster frame."""
    name = str(request.path_params.get("name", ""))
    job_id, _, suffix = name.rpartition(".")
    job = await anyio.to_thread.run_sync(
        lambda: state.store.get(job_id, owner=state.owner_id) if valid_job_id(job_id) else None)
    if job is None:
        return _error("no such job", 404)
    try:
        if request.url.path.startswith("/posters/"):
            poster = await anyio.to_thread.run_sync(poster_file, state, job)
            if poster is None or suffix != "jpg":
                return _error(f"job {job_id} has no poster frame", 404)
            return await anyio.to_thread.run_sync(media_response, request, poster, name, POSTER_MIME)
        audio = await anyio.to_thread.run_sync(audio_file, state, job)
        if audio.suffix != f".{suffix}":
            return _error(f"job {job_id} has no .{suffix} audio", 404)
        return await anyio.to_thread.run_sync(media_response, request, audio, name, AUDIO_MIME[audio.suffix])
    except VideoUnavailable as exc:
        return _error(str(exc), exc.status)
    except OSError:
        return _error(f"the file of job {job_id} cannot be read", 410)


async def _refused(mcp: MCPServer[Any], request: Request) -> Response | None:
    """The Host/Origin (DNS-rebinding) refusal /mcp would give this request, or None."""
    try:
        settings = mcp.session_manager.security_settings
    except RuntimeError:  # an HTTP app other than streamable_http_app: loopback names only
        settings = None
    return await TransportSecurityMiddleware(settings or _LOOPBACK_ONLY).validate_request(request)


async def _current_state(mcp: MCPServer[Any], ref: StateRef, request: Request) -> Services | Response:
    """The services as the request's user sees them; with OAuth, a request that is not signed in gets
    401 (as on /mcp), so the gallery never shows anyone's jobs to nobody in particular."""
    if mcp.settings.auth is not None and (answer := signed_in(request, mcp.settings.auth)) is not None:
        return answer
    lazy = ref.get()
    try:
        if lazy is not None:
            return await lazy.for_caller()
    except TalkingVideoError as exc:
        return _error(str(exc), 503)
    return _error("the server is starting; try again in a moment", 503)


def add_gallery_routes(mcp: MCPServer[Any], ref: StateRef) -> None:
    """Register the gallery's routes on `mcp` (they are served only by its HTTP apps)."""
    html = page("gallery.html")

    async def refused(request: Request) -> Response | None:
        return await _refused(mcp, request)

    async def current_state(request: Request) -> Services | Response:
        return await _current_state(mcp, ref, request)

    async def gallery(request: Request) -> Response:
        if (answer := await refused(request)) is not None:
            return answer
        nonce = secrets.token_urlsafe(16)
        lazy = ref.get()
        media = _store_origin(lazy.settings) if lazy is not None else ""
        return HTMLResponse(html.replace("{{NONCE}}", nonce), headers={
            **_COMMON_HEADERS, "content-security-policy": _csp(nonce, media), "cache-control": "no-store"})

    async def list_jobs(request: Request) -> Response:
        if (answer := await refused(request)) is not None:
            return answer
        state = await current_state(request)
        if isinstance(state, Response):
            return state
        asked = request.query_params.get("status") or None
        model = request.query_params.get("model") or None
        if asked is not None and asked not in _STATUSES:
            return _error(f"status must be one of {', '.join(_STATUSES)}", 400)
        status = cast(JobStatus | None, asked)
        if model is not None and len(model) > 100:
            return _error("model is too long", 400)
        try:
            limit = max(1, min(MAX_JOBS, int(request.query_params.get("limit") or 100)))
        except ValueError:
            return _error("limit must be a number", 400)
        body = await anyio.to_thread.run_sync(_list_jobs, state, status, model, limit)
        return JSONResponse(body, headers={**_COMMON_HEADERS, "cache-control": "no-store"})

    async def video(request: Request) -> Response:
        if (answer := await refused(request)) is not None:
            return answer
        state = await current_state(request)
        if isinstance(state, Response):
            return state
        job_id = str(request.path_params.get("job_id", ""))
        try:
            _, path = await anyio.to_thread.run_sync(lookup_video, state, job_id)
            return await anyio.to_thread.run_sync(video_response, request, path, job_id)
        except VideoUnavailable as exc:
            job = await anyio.to_thread.run_sync(state.store.get, job_id) if valid_job_id(job_id) else None
            try:
                stored = await anyio.to_thread.run_sync(stored_copy, state, job) if job is not None else None
            except TalkingVideoError as failed:
                return _error(str(failed), 503)
            if stored is not None:  # made on another replica: from the video store
                return RedirectResponse(stored, status_code=307, headers=_COMMON_HEADERS)
            return _error(str(exc), exc.status)
        except OSError:
            return _error(f"the video file of job {job_id} cannot be read", 410)

    async def job_file(request: Request) -> Response:
        """`/audio/{job_id}.wav` (a text_to_speech job's audio) and `/posters/{job_id}.jpg` (a video's still)."""
        if (answer := await refused(request)) is not None:
            return answer
        state = await current_state(request)
        if isinstance(state, Response):
            return state
        return await _job_file(request, state)

    # custom_route is untyped in the SDK, so it is called rather than used as a decorator.
    for prefix in ("/audio", "/posters"):
        mcp.custom_route(prefix + "/{name}", methods=["GET", "HEAD"], name=f"gallery{prefix.replace('/', '_')}",
                         include_in_schema=False)(job_file)
    mcp.custom_route("/", methods=["GET"], name="gallery", include_in_schema=False)(gallery)
    mcp.custom_route("/api/jobs", methods=["GET"], name="gallery_jobs", include_in_schema=False)(list_jobs)
    mcp.custom_route("/videos/{job_id}.mp4", methods=["GET", "HEAD"], name="gallery_video",
                     include_in_schema=False)(video)
