"""talking-video-mcp: an MCP server that makes talking-head videos."""

__version__ = "0.1.0"
