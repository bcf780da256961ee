"""What a newcomer sees when starting the HTTP transport: its URLs on start-up, and a --help that explains
every flag."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from talking_video_mcp.cli import build_parser
from talking_video_mcp.settings import Settings
from tests.conftest import env_for
from tests.servers import ServerProcess


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_flag_of_every_command_is_explained() -> None:
    for name, parser in _subcommands().items():
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and len(action.help) > 15, f"{name} {action.option_strings[0]} has no help"
    text = _subcommands()["serve"].format_help()
    for words in ("stdio", "streamable HTTP", "TALKING_VIDEO_HTTP_TOKEN", "load balancer", "(default: 8765)"):
        assert words in text, words


def test_serve_http_prints_its_urls_without_the_token(settings: Settings, tmp_path: Path) -> None:
    token = "startup-token-0123456789"
    env = env_for(settings.model_copy(update={"http_token": SecretStr(token)}))
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        deadline = time.monotonic() + 10
        while "job gallery" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        said = server.log.read_text()
        base = f"http://127.0.0.1:{server.port}"
        assert f"MCP endpoint {base}/mcp" in said and f"job gallery  {base}/" in said, said
        assert "Authorization: Bearer <TALKING_VIDEO_HTTP_TOKEN>" in said and token not in said
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # the URL it printed answers
    finally:
        server.stop()
