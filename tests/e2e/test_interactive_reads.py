"""Interactive reads never wait on the request budget that background polls use (issue 15): the server as a
user runs it, over stdio, with SEGMIND_REQUESTS_PER_MINUTE=2 and jobs polling a slow emulator."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from tests.conftest import env_for, make_settings
from tests.helpers import png_bytes, structured, upload

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def real_time_emulator() -> Iterator[Any]:
    """Jobs take minutes here (speed 1), so they keep polling through the test."""
    with run_in_thread(EmulatorConfig(speed=1.0)) as emu:
        yield emu


async def test_get_account_answers_at_once_while_jobs_use_the_whole_budget(
    real_time_emulator: Any, home: Path, tmp_path: Path
) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    emu = real_time_emulator
    settings = make_settings(home, tmp_path, emu.base_url, SEGMIND_REQUESTS_PER_MINUTE=2,
                             TALKING_VIDEO_TIME_SCALE=1.0)
    params = StdioServerParameters(command=sys.executable, args=["-m", "talking_video_mcp", "serve"],
                                   env=env_for(settings))
    image = upload(emu.base_url, png_bytes(), "image/png")
    before = sum(emu.stats()["endpoints"].values())
    async with Client(params) as client:
        jobs = [structured(await client.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": image, "script": f"Job number {n} keeps polling."}))
            for n in range(3)]
        # Three jobs need more than the two requests a minute allows: their steps now queue in the budget.
        deadline = time.monotonic() + 20
        while sum(emu.stats()["endpoints"].values()) < before + 2:
            assert time.monotonic() < deadline, emu.stats()
            await anyio.sleep(0.1)
        timings, answers = [], []
        for _ in range(10):
            started = time.perf_counter()
            result = await client.call_tool("get_account", {})
            timings.append(time.perf_counter() - started)
            assert not result.is_error, result
            answers.append(structured(result))
        for job in jobs:
            await client.call_tool("cancel_job", {"job_id": job["job_id"]})
    assert max(timings) < 1.0, timings
    segmind = [next(p for p in a["providers"] if p["provider"] == "segmind") for a in answers]
    # The budget was spent by the jobs: the answer says so, and when a reading comes, instead of waiting for it.
    waiting = [s for s in segmind if s.get("refresh_in_s")]
    assert waiting, segmind
    assert all("request budget (2 a minute)" in s["note"] and s["refresh_in_s"] > 0 for s in waiting), waiting
    assert not any(s.get("error") for s in segmind), segmind
    assert not any(s["sandbox"] for s in segmind)
