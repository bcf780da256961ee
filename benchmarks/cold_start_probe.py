"""One start-up path in-process, for counting instructions under valgrind (bench_cold_start.instructions):
`floor` imports the SDK and lists the one-tool floor server's tools; `ours` does what `serve` does before
its first tools/list answer (settings, storage check, build_server, tools/list).

Run: python benchmarks/cold_start_probe.py floor|ours
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TALKING_VIDEO_HOME", tempfile.mkdtemp(prefix="tv-probe-"))
os.environ.setdefault("TALKING_VIDEO_LOG_LEVEL", "WARNING")

import anyio
import mcp.server.apps
import mcp.server.mcpserver  # noqa: F401

if sys.argv[1] == "floor":
    import floor_server

    anyio.run(floor_server.server.list_tools)
else:
    from talking_video_mcp import cli
    from talking_video_mcp.server import build_server

    settings = cli._checked_settings()
    assert settings is not None
    anyio.run(build_server(settings).list_tools)
