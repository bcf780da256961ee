"""What people see: the MCP Apps video player (`ui://` resource + app-only tools) and, over HTTP, the job
gallery at `/` with Range-capable video files.

server.py wires it with three calls: `player_app()` as an MCPServer extension, `PLAYER_TOOL_META` on the tools
that render in the player, and (HTTP only) `gallery.add_gallery_routes(mcp, state_ref)`; `StateRef` hands the lifespan's
`Services` to the HTTP routes, which get no MCP `Context`."""

from talking_video_mcp.ui.player import PLAYER_TOOL_META, PLAYER_URI, player_app
from talking_video_mcp.ui.state import StateRef

# The gallery (`talking_video_mcp.ui.gallery.add_gallery_routes`) is HTTP-only and imported where it is used,
# so the stdio start-up path does not pay for it.
__all__ = ["PLAYER_TOOL_META", "PLAYER_URI", "StateRef", "player_app"]
