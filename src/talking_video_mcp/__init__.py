"""talking-video-mcp: an MCP server that makes talking-head videos."""

__version__ = "0.1.0"

# Every log record of the package passes the redacting filter, whoever configures logging (see logs.py).
from talking_video_mcp import logs as _logs  # noqa: F401
