"""The MCP Apps player: a `ui://` HTML app bound to generate_talking_video and check_video_status, plus the
app-only tools it uses to read the job and the MP4 (a sandboxed iframe cannot open local files).

The extension is made with the server, so this module stays light: what the tools answer lives in
player_data.py, imported on their first call (the job views and their models are about 20 ms of imports,
measured, that the first tools/list does not need)."""

from typing import Annotated, Any

from mcp.server.apps import Apps, ResourceCsp
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from talking_video_mcp.ui.pages import page

PLAYER_URI = "ui://talking-video/player.html"
# `_meta` for a tool whose results the player shows, as the SDK's Apps extension spells it. (The flat
# "ui/resourceUri" key of hosts built before the 2026-01-26 spec is no longer sent: tools/list is read on every
# turn, and its bytes are kept for what every host reads.)
PLAYER_TOOL_META: dict[str, Any] = {"ui": {"resourceUri": PLAYER_URI}}

CHUNK_BYTES = 786_432  # 768 KiB, a multiple of 3: base64 chunks concatenate into the file's base64
MAX_CHUNK_BYTES = 1_572_864  # 1.5 MiB → about 2 MiB of base64 per message

_APP_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def player_app(connect: list[str] | None = None) -> Apps:
    """The `io.modelcontextprotocol/ui` extension: the player resource and its app-only tools.

    The app-only tools declare no outputSchema (the player is their only reader, and every schema byte is read
    by models on every turn of hosts that do not filter app-only tools); they return VideoDetails / VideoChunk
    as structuredContent.

    `connect`: origins the app may send requests to (its `ui.csp.connectDomains`): the server's public URL, where
    the "new video" view PUTs the user's photo (create_upload)."""

    apps = Apps()
    apps.add_html_resource(
        PLAYER_URI, page("player.html"), name="talking-video-player", title="Talking video player",
        description="Shows a talking-video job's progress live and plays the finished video; makes a new one",
        prefers_border=True, csp=ResourceCsp(connect_domains=connect) if connect else None,
    )

    @apps.tool(resource_uri=PLAYER_URI, visibility=["app"], annotations=_APP_ONLY, title="Video details (player)")
    async def get_video_details(
        ctx: Context, job_id: Annotated[str, Field(min_length=1, max_length=100)]
    ) -> CallToolResult:
        """For the video player app only: a job with its script, voice and video size."""
        from talking_video_mcp.ui import player_data

        return await player_data.details_result(ctx, job_id, CHUNK_BYTES)

    @apps.tool(resource_uri=PLAYER_URI, visibility=["app"], annotations=_APP_ONLY, title="Video bytes (player)")
    async def get_video_chunk(
        ctx: Context,
        job_id: Annotated[str, Field(min_length=1, max_length=100)],
        offset: Annotated[int, Field(ge=0)] = 0,
        length: Annotated[int, Field(ge=1, le=MAX_CHUNK_BYTES)] = CHUNK_BYTES,
    ) -> CallToolResult:
        """For the video player app only: part of a completed job's MP4 as base64."""
        from talking_video_mcp.ui import player_data

        return await player_data.chunk_result(ctx, job_id.strip(), offset, length)

    return apps
