"""The shipped tools/list snapshot (server/listing.py): identical to what the tools declare, used only while
it matches the code, and never in the way of a tool call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from talking_video_mcp.server import build_server, listing
from talking_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio

REGENERATE = "the shipped tools/list is out of date: run `make tools-list` and review the diff of tools_list.json"


@pytest.mark.parametrize("variant", listing.VARIANTS)
async def test_the_snapshot_is_what_the_tools_declare(variant: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALKING_VIDEO_HOME", str(tmp_path))
    snapshot = json.loads(listing.SNAPSHOT.read_text())
    assert snapshot["fingerprint"] == listing.fingerprint(), REGENERATE
    live = await listing.live(variant)
    if snapshot["libraries"] != listing.libraries():
        # Installed with other mcp/pydantic releases than the snapshot was made with: it is not used, and the
        # server lists its tools live (what this environment's libraries make of them).
        assert listing.load(variant) is None
        return
    assert snapshot["variants"][variant] == live, REGENERATE


async def test_a_fresh_server_lists_from_the_snapshot_and_registers_on_the_first_call(settings: Settings) -> None:
    server = build_server(settings)
    async with Client(server) as client:
        listed = await client.list_tools()
        assert not server.tools_registered
        result = await client.call_tool("list_jobs", {})
        assert not result.is_error and server.tools_registered
        assert [t.name for t in (await client.list_tools()).tools] == [t.name for t in listed.tools]


async def test_a_snapshot_that_does_not_match_the_code_is_ignored(settings: Settings, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stale = json.loads(listing.SNAPSHOT.read_text())
    for tools in stale["variants"].values():
        tools[0]["description"] = "stale"
    fake = tmp_path / "tools_list.json"
    fake.write_text(json.dumps(stale))
    monkeypatch.setattr(listing, "SNAPSHOT", fake)
    assert listing.load("local") is not None  # same fingerprint: it would be used ...
    with monkeypatch.context() as other:
        other.setattr(listing, "libraries", lambda: {"mcp": "9.9.9", "pydantic": "9.9.9"})
        assert listing.load("local") is None  # ... not with other library releases ...
    monkeypatch.setattr(listing, "fingerprint", lambda: "other code")
    assert listing.load("local") is None  # ... nor once the code differs
    server = build_server(settings)
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert server.tools_registered and all(t.description != "stale" for t in tools)
