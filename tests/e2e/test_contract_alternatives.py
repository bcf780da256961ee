"""Where the providers' docs disagree or only infer, the clients tolerate each plausible answer.

providers.md marks these [S]/[I]/conflicting: Segmind's video `output` shape, the upload answer's key
(`urls` vs `file_urls`), Unifically template pages (bare list vs `{items,total,cursor}`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.providers.segmind.client import extract_output_url
from talking_video_mcp.providers.unifically.client import items_of
from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import png_bytes, structured, wait_for_job

pytestmark = pytest.mark.anyio
URL = "https://cdn.example.com/v.mp4"


@pytest.mark.parametrize("output", [
    URL, f'"{URL}"', f'{{"video_url": "{URL}"}}', {"video_url": URL}, {"url": URL}, [URL], [{"url": URL}],
    f'["{URL}"]',
])
def test_segmind_output_shapes(output: Any) -> None:
    assert extract_output_url(output) == URL


def test_segmind_output_without_url() -> None:
    assert extract_output_url({"status": "ok"}) is None and extract_output_url("not a url") is None


@pytest.mark.parametrize("body", [
    [{"id": "a"}, {"id": "b"}],
    {"items": [{"id": "a"}, {"id": "b"}], "total": 2, "cursor": None},
    {"code": 200, "data": {"items": [{"id": "a"}, {"id": "b"}], "total": 2, "cursor": None}},
    {"code": 200, "data": [{"id": "a"}, {"id": "b"}]},
])
def test_template_page_shapes(body: Any) -> None:
    items, cursor = items_of(body)
    assert [i["id"] for i in items] == ["a", "b"] and cursor is None


@pytest.fixture(params=["json", "object", "list"])
def odd_emulator(request: pytest.FixtureRequest) -> Iterator[Any]:
    config = EmulatorConfig(speed=300.0, segmind_output_shape=request.param, upload_response_key="file_urls")
    with run_in_thread(config) as emu:
        yield emu


async def test_jobs_complete_with_other_answer_shapes(odd_emulator: Any, home: Path, tmp_path: Path) -> None:
    photo = tmp_path / "face.png"
    photo.write_bytes(png_bytes())
    settings = make_settings(home, tmp_path, odd_emulator.base_url)
    async with Client(build_server(settings)) as client:
        job = structured(await client.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": str(photo), "script": "Shapes."}))
        job = await wait_for_job(client, job)
    assert job["status"] == "completed", job
    assert odd_emulator.stats()["endpoints"]["segmind.upload"] == 1
