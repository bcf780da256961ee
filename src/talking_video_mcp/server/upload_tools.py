"""create_upload, on the HTTP transport only: over stdio the assistant can pass a local file path."""

from typing import Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations

from talking_video_mcp.models import UploadTicket, VideoMaker
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.server.common import guarded, request_base
from talking_video_mcp.services import Services
from talking_video_mcp.tools import uploads
from talking_video_mcp.ui import PLAYER_TOOL_META

# Makes a ticket only: nothing is spent, nothing is stored until the PUT.
_TICKET = ToolAnnotations(destructive_hint=False, open_world_hint=False)
_OPENS = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
Kind = Literal["image", "audio"]  # a face photo, or speech


def register(mcp: CompactServer) -> None:
    @mcp.typed_tool(returns=UploadTicket, annotations=_TICKET)
    async def create_upload(ctx: Context, kind: Kind = "image") -> CallToolResult:
        """A one-time URL to PUT the user's photo or recording to (curl -T); then pass upload_id as image or audio
        to generate_talking_video."""
        base = request_base(ctx)
        return await guarded(ctx, lambda state: _ticket(state, kind, base))

    @mcp.typed_tool(returns=VideoMaker, annotations=_OPENS, meta=PLAYER_TOOL_META)
    async def open_video_maker(ctx: Context) -> CallToolResult:
        """Open the video maker in the chat (MCP Apps): the user uploads a photo, writes the script and submits."""
        return await guarded(ctx, _maker)


async def _maker(state: Services) -> VideoMaker:
    return uploads.video_maker(state)


async def _ticket(state: Services, kind: Literal["image", "audio"], base: str | None) -> UploadTicket:
    return uploads.create_upload(state, kind, base)
