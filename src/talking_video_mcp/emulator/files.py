"""`/files/...`: result videos, TTS audio, uploads and template media, with byte ranges.

Clients resume downloads and probe headers, so this answers HEAD, single `Range`
requests (206/416) and reports an exact content-length, like a CDN would.
"""

from __future__ import annotations

import hashlib
import re

import anyio.to_thread
from starlette.responses import Response
from starlette.routing import Route

from talking_video_mcp.emulator import media
from talking_video_mcp.emulator.dispatch import Call, endpoint
from talking_video_mcp.emulator.envelopes import segmind_error
from talking_video_mcp.emulator.templates import FileSource

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def routes() -> list[Route]:
    return [Route("/files/{path:path}", endpoint("files", serve_file), methods=["GET"])]


def _source(call: Call, name: str) -> FileSource | None:
    state = call.state
    if name.startswith("uploads/"):
        upload = state.find_upload(name)
        if upload is None:
            return None
        data = upload.data
        return upload.content_type, lambda: data
    if name.startswith("outputs/"):
        job = state.output_job(name)
        if job is None:
            return None
        call.job_id, call.model = job.id, job.model
        seconds, seed = job.media_seconds, state.config.seed
        if job.media == "audio":
            return "audio/wav", lambda: media.wav_bytes(seconds, seed)
        return "video/mp4", lambda: media.mp4_bytes(round(seconds), seed)
    return call.ctx.templates.file(name)


def byte_range(header: str | None, total: int) -> tuple[int, int] | str | None:
    """(first, last) for a satisfiable single range; None to ignore the header (absent,
    multi-range or malformed, as RFC 9110 allows); "unsatisfiable" for a 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix range: the last N bytes
        length = int(last_text)
        return (max(total - length, 0), total - 1) if length and total else "unsatisfiable"
    first = int(first_text)
    last = int(last_text) if last_text else total - 1
    if first >= total:
        return "unsatisfiable"
    if last < first:
        return None
    return first, min(last, total - 1)


async def serve_file(call: Call) -> Response:
    name = call.request.path_params["path"]
    source = _source(call, name)
    if source is None:
        return segmind_error(404, "File not found")
    content_type, build = source
    data = await anyio.to_thread.run_sync(build)
    total = len(data)
    headers = {"accept-ranges": "bytes", "etag": f'"{hashlib.sha1(data, usedforsecurity=False).hexdigest()[:20]}"'}
    wanted = byte_range(call.request.headers.get("range"), total)
    if wanted == "unsatisfiable":
        headers["content-range"] = f"bytes */{total}"
        return Response(b"", status_code=416, headers=headers, media_type=content_type)
    if isinstance(wanted, tuple):
        first, last = wanted
        headers["content-range"] = f"bytes {first}-{last}/{total}"
        return Response(data[first : last + 1], status_code=206, headers=headers, media_type=content_type)
    return Response(data, headers=headers, media_type=content_type)
