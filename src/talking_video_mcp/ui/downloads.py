"""`GET /downloads/{job_id}.mp4?expires=..&signature=..`: a finished video for whoever holds its signed link
(downloads.py), with no MCP session and no token: the link is the credential. Range requests get 206. Any
replica answers: from its own disk, or by redirecting to the video store when the video was made elsewhere.
Every link that is not exactly one this server signed, or that has expired, gets the same 403."""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.downloads import ROUTE, parse_link
from talking_video_mcp.errors import StorageError
from talking_video_mcp.services import Services
from talking_video_mcp.ui.gallery import media_response, video_response
from talking_video_mcp.ui.state import NotReady, StateRef, ready_services
from talking_video_mcp.ui.videos import AUDIO_MIME, VideoUnavailable, audio_file, video_file

_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store"}
REFUSED = "this download link is not valid or has expired; ask for the job again (check_video_status) for a new one"


class Refused(Exception):
    """Answered with `status` and `message`; nothing about the job is told before the signature holds."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_HEADERS)


def _signed_job(state: Services, request: Request, now: float) -> tuple[JobRecord, int, str]:
    """Blocking: the job the link was signed for, its expiry and file suffix, or Refused(403)."""
    link = parse_link(str(request.path_params.get("tail", "")), request.url.query)
    if link is None:
        raise Refused(REFUSED)
    job = state.store.get(link.job_id)  # no owner filter: the signature binds the link to the job's owner
    if job is None or not state.downloads.signer.valid(link, job.owner, now):
        raise Refused(REFUSED)
    return job, link.expires, link.suffix


def _answer(state: Services, request: Request, now: float) -> Response:
    """Blocking: the file from this disk (ranges honoured), or a redirect to the stored copy."""
    job, expires, suffix = _signed_job(state, request, now)
    if suffix != ".mp4":  # a text_to_speech job's audio
        try:
            audio = audio_file(state, job)
        except VideoUnavailable as exc:
            raise Refused(str(exc), exc.status) from None
        if audio.suffix != suffix:
            raise Refused(REFUSED)
        return media_response(request, audio, f"{job.id}{suffix}", AUDIO_MIME[suffix])
    try:
        return video_response(request, video_file(state, job), job.id)
    except VideoUnavailable as exc:
        key = job.state.get("storage_key")
        storage = state.downloads.storage
        if storage is None or not key:
            raise Refused(str(exc), exc.status) from None
        # Made on another replica: the store's own presigned URL, for no longer than this link lives.
        try:
            return RedirectResponse(storage.presign(str(key), int(expires - now)), status_code=307, headers=_HEADERS)
        except StorageError as failed:
            raise Refused(str(failed), 503) from None


def add_download_routes(mcp: MCPServer[Any], ref: StateRef) -> None:
    """Register `/downloads/...` on `mcp`'s HTTP apps (http_app lets it through without a bearer token)."""

    async def download(request: Request) -> Response:
        try:
            state = await ready_services(ref)
        except NotReady as exc:
            return _error(str(exc), 503)
        now = state.downloads.clock()
        try:
            return await anyio.to_thread.run_sync(_answer, state, request, now)
        except Refused as exc:
            return _error(str(exc), exc.status)
        except OSError:
            return _error("the video file cannot be read", 410)

    mcp.custom_route(ROUTE + "/{tail:path}", methods=["GET", "HEAD"], name="download",
                     include_in_schema=False)(download)
