"""`make bundle`: the MCP Bundle (`dist/talking-video-mcp.mcpb`) for one-click install in desktop chat apps.

The bundle is a zip with `manifest.json` (manifest 0.4, server type `uv`), a `pyproject.toml` that depends on
the wheel shipped inside it, and `server/main.py`. The host runs the command in `server.mcp_config`:
`uv run --directory <bundle> <bundle>/server/main.py [allowed folders...]`; uv installs the wheel and its
dependencies (PyAV, OpenCV, onnxruntime, Piper: native wheels for the user's platform) into the bundle's own
environment on first start, so one bundle serves every platform with those wheels. The keys (sensitive), the
allowed folders, the spend limits and the sandbox switch are `user_config` entries the host asks for.

Usage: python packaging/bundle.py --dist dist  (after `make dist` put the wheel there)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

BUNDLE_NAME = "talking-video-mcp.mcpb"
# The entry point inside the bundle. It receives the allowed folders as arguments (a `multiple` directory
# setting expands to several arguments; it cannot expand inside an environment variable), drops settings the
# host left empty or unsubstituted, and starts the stdio server from the installed wheel.
ENTRY_POINT = '''\
"""MCP Bundle entry point: `uv run` has installed talking-video-mcp from the wheel in ../wheels."""

import os
import sys

OURS = ("SEGMIND_", "UNIFICALLY_", "TALKING_VIDEO_")


def main() -> int:
    for name, value in list(os.environ.items()):
        if name.startswith(OURS) and (not value.strip() or value.startswith("${")):
            del os.environ[name]  # a setting the user left empty: the server's default applies
    folders = [arg for arg in sys.argv[1:] if arg.strip() and not arg.startswith("${")]
    if folders:
        os.environ["TALKING_VIDEO_ALLOWED_ROOTS"] = os.pathsep.join(folders)
    from talking_video_mcp.cli import main as cli

    return cli(["serve"])


if __name__ == "__main__":
    raise SystemExit(main())
'''

USER_CONFIG: dict[str, dict[str, Any]] = {
    "segmind_api_key": {
        "type": "string", "title": "Segmind API key", "sensitive": True, "required": False,
        "description": "Enables Higgsfield Speak v2 and HeyGen Avatar IV on Segmind. Leave empty for the free "
                       "offline model.",
    },
    "unifically_api_key": {
        "type": "string", "title": "Unifically API key", "sensitive": True, "required": False,
        "description": "Enables Higgsfield Speak, text to speech, image-to-video and ads on Unifically. "
                       "Leave empty if you have none.",
    },
    "allowed_folders": {
        "type": "directory", "title": "Folders with your photos and audio", "multiple": True, "required": False,
        "description": "The server reads local images and audio only from these folders (default: your home "
                       "folder).",
    },
    "max_job_cost_usd": {
        "type": "number", "title": "Spend limit per video (USD)", "default": 5, "min": 0, "max": 1000,
        "description": "A cloud job estimated above this is refused before anything is spent.",
    },
    "daily_budget_usd": {
        "type": "number", "title": "Daily spend limit (USD)", "default": 25, "min": 0, "max": 10000,
        "description": "Cloud jobs stop being accepted once today's estimated spend reaches this.",
    },
    "sandbox": {
        "type": "boolean", "title": "Sandbox (no real provider)", "default": False,
        "description": "Run every cloud model on the built-in provider emulator: try all tools with no key "
                       "and no cost.",
    },
}

MCP_CONFIG: dict[str, Any] = {
    "command": "uv",
    "args": ["run", "--directory", "${__dirname}", "${__dirname}/server/main.py", "${user_config.allowed_folders}"],
    "env": {
        "SEGMIND_API_KEY": "${user_config.segmind_api_key}",
        "UNIFICALLY_API_KEY": "${user_config.unifically_api_key}",
        "TALKING_VIDEO_MAX_JOB_COST_USD": "${user_config.max_job_cost_usd}",
        "TALKING_VIDEO_DAILY_BUDGET_USD": "${user_config.daily_budget_usd}",
        "TALKING_VIDEO_SANDBOX": "${user_config.sandbox}",
    },
}


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


async def _tools() -> list[dict[str, str]]:
    """The tools a model sees, as the server lists them with every provider on (the sandbox sets both keys);
    the player's app-only tools are left out."""
    from mcp import Client

    from talking_video_mcp.server import build_server
    from talking_video_mcp.settings import Settings

    with tempfile.TemporaryDirectory(prefix="talking-video-bundle-") as home:
        settings = Settings(TALKING_VIDEO_HOME=Path(home), TALKING_VIDEO_SANDBOX=True,
                            TALKING_VIDEO_LOG_LEVEL="WARNING")
        async with Client(build_server(settings)) as client:
            listed = (await client.list_tools()).tools
    tools = []
    for tool in listed:
        ui = (tool.meta or {}).get("ui") or {}
        if ui.get("visibility") == ["app"]:
            continue
        tools.append({"name": tool.name, "description": _first_sentence(tool.description or "")})
    return tools


def manifest(version: str, tools: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "manifest_version": "0.4",
        "name": "talking-video-mcp",
        "display_name": "Talking Video",
        "version": version,
        "description": "Make talking-head videos from a photo and a script: offline on your computer, or with "
                       "Segmind and Higgsfield (Unifically) when you add a key.",
        "long_description": "The assistant writes a script, picks a voice and a face, submits a job and follows "
                            "it. The free `local` model renders on your CPU with offline voices; cloud models "
                            "need a key and respect the spend limits you set here.",
        "author": {"name": "talking-video-mcp contributors"},
        "license": "MIT",
        "keywords": ["video", "talking head", "avatar", "text to speech", "lip sync"],
        "server": {"type": "uv", "entry_point": "server/main.py", "mcp_config": MCP_CONFIG},
        "tools": tools,
        "user_config": USER_CONFIG,
        "compatibility": {"platforms": ["darwin", "linux"], "runtimes": {"python": ">=3.11"}},
    }


def bundle_pyproject(version: str, wheel_name: str) -> str:
    return (
        "# The bundle's environment: `uv run --directory <bundle>` installs the wheel beside this file.\n"
        "[project]\n"
        'name = "talking-video-mcp-bundle"\n'
        f'version = "{version}"\n'
        'requires-python = ">=3.11"\n'
        f'dependencies = ["talking-video-mcp=={version}"]\n\n'
        "[tool.uv]\npackage = false\n\n"
        "[tool.uv.sources]\n"
        f'talking-video-mcp = {{ path = "wheels/{wheel_name}" }}\n'
    )


def build(dist: Path, out: Path | None = None) -> Path:
    """Write the bundle next to the wheel of the current version in `dist`; return its path."""
    import anyio

    from talking_video_mcp import __version__

    wheels = sorted(dist.glob(f"talking_video_mcp-{__version__}-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one talking_video_mcp-{__version__} wheel in {dist}, found {len(wheels)}: "
                         "run `make dist` first.")
    wheel = wheels[0]
    out = out or dist / BUNDLE_NAME
    tools = anyio.run(_tools)
    files: list[tuple[str, bytes]] = [
        ("manifest.json", (json.dumps(manifest(__version__, tools), indent=2) + "\n").encode()),
        ("pyproject.toml", bundle_pyproject(__version__, wheel.name).encode()),
        ("server/main.py", ENTRY_POINT.encode()),
        (f"wheels/{wheel.name}", wheel.read_bytes()),
    ]
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    partial.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="the folder holding the wheel")
    parser.add_argument("--out", type=Path, default=None, help=f"default: DIST/{BUNDLE_NAME}")
    args = parser.parse_args(argv)
    path = build(args.dist, args.out)
    print(f"bundle: {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
