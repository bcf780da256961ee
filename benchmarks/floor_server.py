"""The smallest MCP server on our SDK (mcp 2.x `MCPServer`, one tool), started over stdio.

bench_cold_start times it beside ours: the difference between the two is what our own code adds to a
cold start; this server's time is the floor any server on this SDK and interpreter pays.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server: MCPServer = MCPServer("floor")


@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:  # a port: the same server over streamable HTTP (bench_concurrent's baseline)
        server.run("streamable-http", port=int(sys.argv[1]))
    else:
        server.run()
