"""The MCP Apps player: a `ui://` HTML app bound to generate_talking_video and check_video_status, plus the
app-only tools it uses to read the job and the MP4 (a sandboxed iframe cannot open local files)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import anyio
from mcp.server.apps import Apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.models import JobView
from talking_video_mcp.services import LazyServices, Services
from talking_video_mcp.tools import jobs
from talking_video_mcp.ui.videos import NOTICES, VIDEO_MIME, VideoUnavailable, job_text, lookup_video, page, video_file

PLAYER_URI = "ui://talking-video/player.html"
# `_meta` for a tool whose results the player shows. The flat key is the deprecated spelling that hosts built
# before the 2026-01-26 spec still read.
PLAYER_TOOL_META: dict[str, Any] = {"ui": {"resourceUri": PLAYER_URI}, "ui/resourceUri": PLAYER_URI}

CHUNK_BYTES = 786_432  # 768 KiB, a multiple of 3: base64 chunks concatenate into the file's base64
MAX_CHUNK_BYTES = 1_572_864  # 1.5 MiB → about 2 MiB of base64 per message

_APP_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


class VideoDetails(BaseModel):
    """A job as the player shows it."""

    job: JobView
    script: str | None = None
    voice_id: str | None = None
    prompt: str | None = None
    title: str | None = None
    notice: str | None = Field(default=None, description="What a person should know when there is no video")
    video_bytes: int | None = Field(default=None, description="Size of the MP4 when it can be played")
    chunk_bytes: int = Field(default=CHUNK_BYTES, description="Suggested length for get_video_chunk")


class VideoChunk(BaseModel):
    """Bytes [offset, offset + length) of a completed job's MP4, base64-encoded."""

    job_id: str
    offset: int
    length: int
    total_bytes: int
    eof: bool
    mime_type: str = VIDEO_MIME
    data_base64: str


async def _state(ctx: Context) -> Services:
    lazy = ctx.request_context.lifespan_context
    assert isinstance(lazy, LazyServices)
    try:
        return await lazy.get()
    except TalkingVideoError as exc:
        raise ToolError(str(exc)) from None


async def _details(state: Services, job_id: str) -> VideoDetails:
    try:
        job = await jobs.get_job(state, job_id)
    except TalkingVideoError as exc:
        raise ToolError(str(exc)) from None
    text = job_text(job)
    size: int | None = None
    if job.status == "completed" and job.video_path:
        try:
            size = (await anyio.to_thread.run_sync(video_file, state, job)).stat().st_size
        except (VideoUnavailable, OSError):
            size = None
    notice = NOTICES.get(job.status)
    if job.status == "completed" and size is None and job.video_path:
        notice = "The video file of this job is no longer on disk."
    return VideoDetails(job=jobs.view(state, job), script=text.script, voice_id=text.voice_id, prompt=text.prompt,
                        title=text.title, notice=notice, video_bytes=size)


def _read(state: Services, job_id: str, offset: int, length: int) -> tuple[bytes, int]:
    _, path = lookup_video(state, job_id)
    with path.open("rb") as fh:
        total = fh.seek(0, 2)
        if offset > total:
            raise VideoUnavailable(f"offset {offset} is past the end of the video ({total} bytes).", 416)
        fh.seek(offset)
        return fh.read(length), total


def player_app() -> Apps:
    """The `io.modelcontextprotocol/ui` extension: the player resource and its app-only tools.

    The app-only tools declare no outputSchema (the player is their only reader, and every schema byte is read
    by models on every turn of hosts that do not filter app-only tools); they return VideoDetails / VideoChunk
    as structuredContent."""
    apps = Apps()
    apps.add_html_resource(
        PLAYER_URI, page("player.html"), name="talking-video-player", title="Talking video player",
        description="Shows a talking-video job's progress live and plays the finished video", prefers_border=True,
    )

    @apps.tool(resource_uri=PLAYER_URI, visibility=["app"], annotations=_APP_ONLY, title="Video details (player)")
    async def get_video_details(
        ctx: Context, job_id: Annotated[str, Field(min_length=1, max_length=100)]
    ) -> CallToolResult:
        """For the video player app only: a job with its script, voice and video size."""
        details = await _details(await _state(ctx), job_id)
        return CallToolResult(content=[TextContent(type="text", text=details.model_dump_json(exclude_none=True))],
                              structured_content=details.model_dump(mode="json"))

    @apps.tool(resource_uri=PLAYER_URI, visibility=["app"], annotations=_APP_ONLY, title="Video bytes (player)")
    async def get_video_chunk(
        ctx: Context,
        job_id: Annotated[str, Field(min_length=1, max_length=100)],
        offset: Annotated[int, Field(ge=0)] = 0,
        length: Annotated[int, Field(ge=1, le=MAX_CHUNK_BYTES)] = CHUNK_BYTES,
    ) -> CallToolResult:
        """For the video player app only: part of a completed job's MP4 as base64."""
        state = await _state(ctx)
        try:
            data, total = await anyio.to_thread.run_sync(_read, state, job_id.strip(), offset, length)
        except VideoUnavailable as exc:
            raise ToolError(str(exc)) from None
        except OSError as exc:
            raise ToolError(f"the video file of job {job_id.strip()} cannot be read: {exc.strerror or exc}") from None
        chunk = VideoChunk(job_id=job_id.strip(), offset=offset, length=len(data), total_bytes=total,
                           eof=offset + len(data) >= total, data_base64=base64.b64encode(data).decode("ascii"))
        # The bytes travel once, in structuredContent; the text says what they are.
        summary = (f"bytes {offset}-{offset + len(data) - 1} of {total} of {job_id.strip()}.mp4 "
                   "(base64 in structuredContent)")
        return CallToolResult(content=[TextContent(type="text", text=summary)],
                              structured_content=chunk.model_dump(mode="json"))

    return apps
