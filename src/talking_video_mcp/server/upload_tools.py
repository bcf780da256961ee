"""create_upload, on the HTTP transport only: over stdio the assistant can pass a local file path."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.server.common import guarded, request_base
from talking_video_mcp.services import Services
from talking_video_mcp.tools import uploads
from talking_video_mcp.tools.uploads import VideoMaker
from talking_video_mcp.ui import PLAYER_TOOL_META
from talking_video_mcp.uploads import UploadTicket

# Makes a ticket only: nothing is spent, nothing is stored until the PUT.
_TICKET = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
_OPENS = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
Kind = Annotated[Literal["image", "audio"], Field(description="image: a face photo; audio: a speech recording")]


def register(mcp: CompactServer) -> None:
    @mcp.typed_tool(returns=UploadTicket, annotations=_TICKET)
    async def create_upload(ctx: Context, kind: Kind = "image") -> CallToolResult:
        """A one-time URL to PUT a photo or recording to (e.g. curl -T), and the upload_id to pass as image or audio
        to generate_talking_video. For files the user attached in the chat; expires within the hour."""
        base = request_base(ctx)
        return await guarded(ctx, lambda state: _ticket(state, kind, base))

    @mcp.typed_tool(returns=VideoMaker, annotations=_OPENS, meta=PLAYER_TOOL_META)
    async def open_video_maker(ctx: Context) -> CallToolResult:
        """Show the video maker in the chat (hosts with MCP Apps): the user uploads their own photo or picks a preset,
        writes the script, picks a voice, sees the price and submits there."""
        return await guarded(ctx, _maker)


async def _maker(state: Services) -> VideoMaker:
    return uploads.video_maker(state)


async def _ticket(state: Services, kind: Literal["image", "audio"], base: str | None) -> UploadTicket:
    return uploads.create_upload(state, kind, base)
