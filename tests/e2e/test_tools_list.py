"""tools/list is read by the model on every turn: it stays small while carrying every provider's schema."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_tools_list_is_under_12_kib_with_every_provider(client: Any):
    tools = await client.list_tools()
    names = {t.name for t in tools.tools}
    assert {"generate_video_from_image", "generate_product_ad", "list_motions", "list_sounds"} <= names
    assert not {"create_upload", "open_video_maker"} & names  # HTTP only: over stdio, files are passed by path
    # Per-model knobs are one `options` argument (list_models describes them), so new models add nothing here.
    assert len(tools.model_dump_json(by_alias=True, exclude_none=True)) <= 12 * 1024
    for tool in tools.tools:
        assert tool.output_schema is None or tool.output_schema["type"] == "object"
        assert "  " not in tool.description


async def test_over_http_with_the_upload_tools_it_stays_under_16_kib(settings: Any):
    from mcp import Client

    from talking_video_mcp.server import build_server

    async with Client(build_server(settings, gallery=True)) as http:
        tools = await http.list_tools()
    assert {"create_upload", "open_video_maker", "generate_product_ad"} <= {t.name for t in tools.tools}
    assert len(tools.model_dump_json(by_alias=True, exclude_none=True)) < 16 * 1024


async def test_higgsfield_only_tools_are_hidden_without_a_unifically_key(home: Any, tmp_path: Any, emulator: Any):
    from mcp import Client

    from talking_video_mcp.server import build_server
    from tests.conftest import make_settings

    settings = make_settings(home, tmp_path, emulator.base_url, UNIFICALLY_API_KEY=None)
    async with Client(build_server(settings)) as client:
        tools = await client.list_tools()
    names = {t.name for t in tools.tools}
    assert "list_motions" not in names and "generate_talking_video" in names and "list_models" in names
    assert len(tools.model_dump_json(by_alias=True, exclude_none=True)) <= 11 * 1024
