"""What the player's app-only tools answer: a job as the player shows it, and the MP4 in chunks."""

from __future__ import annotations

import base64

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.errors import StorageError, TalkingVideoError
from talking_video_mcp.models import JobView
from talking_video_mcp.services import LazyServices, Services
from talking_video_mcp.tools import jobs
from talking_video_mcp.ui.pages import NOTICES
from talking_video_mcp.ui.videos import VIDEO_MIME, VideoUnavailable, job_text, lookup_video, valid_job_id, video_file


class VideoDetails(BaseModel):
    """A job as the player shows it."""

    job: JobView
    script: str | None = None
    voice_id: str | None = None
    prompt: str | None = None
    title: str | None = None
    notice: str | None = Field(default=None, description="What a person should know when there is no video")
    video_bytes: int | None = Field(default=None, description="Size of the MP4 when it can be played")
    chunk_bytes: int = Field(description="Suggested length for get_video_chunk")


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
        return await lazy.for_caller()  # with OAuth, only the caller's jobs
    except TalkingVideoError as exc:
        raise ToolError(str(exc)) from None


async def _details(state: Services, job_id: str, chunk_bytes: int) -> VideoDetails:
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
            size = await anyio.to_thread.run_sync(_stored_size, state, job)
    notice = NOTICES.get(job.status)
    if job.status == "completed" and size is None and job.video_path:
        notice = "The video file of this job is no longer on disk."
    return VideoDetails(job=await jobs.current_view(state, job), script=text.script, voice_id=text.voice_id,
                        prompt=text.prompt, title=text.title, notice=notice, video_bytes=size, chunk_bytes=chunk_bytes)


def _stored_size(state: Services, job: JobRecord) -> int | None:
    """The size of the job's video in the store (made on another replica), when it is there."""
    key, storage = job.state.get("storage_key"), state.downloads.storage
    if not key or storage is None:
        return None
    try:
        return storage.read(str(key), 0, 0)[1]
    except StorageError:
        return None


def _read(state: Services, job_id: str, offset: int, length: int) -> tuple[bytes, int]:
    try:
        _, path = lookup_video(state, job_id)
    except VideoUnavailable:
        job = state.store.get(job_id) if valid_job_id(job_id) else None
        key, storage = (job.state.get("storage_key"), state.downloads.storage) if job else (None, None)
        if job is None or job.status != "completed" or not key or storage is None:
            raise
        data, total = storage.read(str(key), offset, length)  # made on another replica: from the store
        if offset > total:
            raise VideoUnavailable(f"offset {offset} is past the end of the video ({total} bytes).", 416) from None
        return data, total
    with path.open("rb") as fh:
        total = fh.seek(0, 2)
        if offset > total:
            raise VideoUnavailable(f"offset {offset} is past the end of the video ({total} bytes).", 416)
        fh.seek(offset)
        return fh.read(length), total


async def details_result(ctx: Context, job_id: str, chunk_bytes: int) -> CallToolResult:
    details = await _details(await _state(ctx), job_id, chunk_bytes)
    return CallToolResult(content=[TextContent(type="text", text=details.model_dump_json(exclude_none=True))],
                          structured_content=details.model_dump(mode="json"))


async def chunk_result(ctx: Context, job_id: str, offset: int, length: int) -> CallToolResult:
    state = await _state(ctx)
    try:
        data, total = await anyio.to_thread.run_sync(_read, state, job_id, offset, length)
    except (VideoUnavailable, StorageError) as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:
        raise ToolError(f"the video file of job {job_id} cannot be read: {exc.strerror or exc}") from None
    chunk = VideoChunk(job_id=job_id, offset=offset, length=len(data), total_bytes=total,
                       eof=offset + len(data) >= total, data_base64=base64.b64encode(data).decode("ascii"))
    # The bytes travel once, in structuredContent; the text says what they are.
    summary = f"bytes {offset}-{offset + len(data) - 1} of {total} of {job_id}.mp4 (base64 in structuredContent)"
    return CallToolResult(content=[TextContent(type="text", text=summary)],
                          structured_content=chunk.model_dump(mode="json"))
