"""tools/list as shipped: a snapshot of the compacted listing, made from the live tools by
`make tools-list`, so a fresh server answers tools/list
without building a dozen argument and output schemas first (about 35 ms of every cold start, measured with
benchmarks/bench_cold_start.py). Tools are registered when first called, or a moment after start-up.

The snapshot carries a fingerprint of everything that shapes the listing (the wiring modules, argument
types, result models, schema compaction, the player, and the mcp and pydantic versions). A snapshot that
does not match is ignored and the listing is made live; tests/test_tools_listing.py fails until it is
regenerated, so a release never ships a stale one."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pydantic
from mcp.types import Tool as MCPTool

from talking_video_mcp import __version__

PACKAGE = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).with_name("tools_list.json")
_SHAPING = ("server/*.py", "params.py", "models.py", "schema.py", "ui/player.py")


def fingerprint() -> str:
    """Our side: the package version and every source file that shapes the listing."""
    digest = hashlib.sha256(__version__.encode())
    for pattern in _SHAPING:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(path.relative_to(PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def libraries() -> dict[str, str]:
    """The other side: the libraries that turn our code into schemas. A snapshot made with other versions
    is not used (a new mcp or pydantic release must not change what we list without us seeing it)."""
    return {"mcp": version("mcp"), "pydantic": pydantic.VERSION}


def load(variant: str) -> list[MCPTool] | None:
    """The shipped listing for `variant`, or None when there is none or it does not match this code."""
    try:
        data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint() or data.get("libraries") != libraries():
        return None
    tools = data.get("variants", {}).get(variant)
    return [MCPTool.model_validate(tool) for tool in tools] if isinstance(tools, list) else None


def dump(tools: list[MCPTool]) -> list[dict[str, Any]]:
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


async def live(variant: str) -> list[dict[str, Any]]:
    """The listing a server of `variant` makes from its registered tools."""
    from talking_video_mcp.server import build_server  # the wiring imports this module
    from talking_video_mcp.settings import Settings

    settings = Settings(TALKING_VIDEO_SANDBOX=variant.startswith("higgsfield"))
    server = build_server(settings, gallery=variant.endswith("+http"))
    server.register_tools()
    return dump(await server.list_tools())


VARIANTS = ("local", "higgsfield", "local+http", "higgsfield+http")  # +http: served over HTTP (create_upload)


async def write() -> None:
    variants = {variant: await live(variant) for variant in VARIANTS}
    snapshot = {"fingerprint": fingerprint(), "libraries": libraries(), "variants": variants}
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")

