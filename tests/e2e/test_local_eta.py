"""Local render ETA and the render queue (issue 15): the estimate comes from the audio length and this machine's
measured render rate (not the emulator's speed), is corrected by the speed measured in the render itself, the
rate is learned after each render, and a job waiting behind another render says so, with its place in line.

The 10-minute render checked at 25/50/75 % is benchmarks/bench_eta.py (`make bench`); this one stays fast."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.domain.eta import (
    RECENT_WINDOW,
    RENDER_SPAN,
    RENDER_START,
    RenderPlan,
    RenderQueue,
    render_eta,
)
from talking_video_mcp.providers.render_rate import FILE_NAME, RenderRates
from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import png_bytes, structured, wait_for_job, wav_bytes

pytestmark = pytest.mark.anyio


def progress_at(fraction: float) -> float:
    return RENDER_START + RENDER_SPAN * fraction


@pytest.mark.parametrize("rate_error", [0.5, 1.0, 2.5])
def test_the_estimate_follows_the_measured_speed_whatever_the_planned_rate(rate_error: float) -> None:
    """A render of 100 s (3 s of setup, frames at an even pace, 5 s to save the video), planned with a rate off by
    `rate_error`: from a tenth of the frames on, the estimate is within 15 % of the real time left."""
    setup, frames_s, save_s = 3.0, 92.0, 5.0
    plan = RenderPlan(audio_s=200.0, expected_s=100.0 * rate_error, started_at=0.0)
    first_fraction = 0.01
    plan = RenderPlan(**{**plan.__dict__, "first_at": setup + frames_s * first_fraction,
                         "first_fraction": first_fraction})
    for fraction in (0.1, 0.25, 0.5, 0.75, 0.9):
        at = setup + frames_s * fraction
        for later in (0.0, 1.5):  # as recorded, and a moment later (progress is written every 2 %)
            eta = render_eta(plan, progress_at(fraction), measured_at=at, now=at + later)
            real = setup + frames_s + save_s - (at + later)
            assert eta == pytest.approx(real, rel=0.15), (fraction, later, eta, real)


def test_when_the_machine_speeds_up_the_recent_speed_counts_most() -> None:
    """Another job's render ends at 40 % of this one, which then runs 1.6 times faster: by 75 % the estimate
    has followed (the overall average alone would still be 32 % too high)."""
    setup, frames_s, speedup, change = 3.0, 92.0, 1.6, 0.4

    def at(fraction: float) -> float:
        slow = min(fraction, change)
        return setup + frames_s * slow + frames_s / speedup * max(0.0, fraction - change)

    total = at(1.0) + 0.05 * frames_s / speedup
    seen: list[tuple[float, float]] = []
    fraction, errors = 0.01, {}
    while fraction < 1.0:  # what LocalProvider._progress_writer records, every 2 % of progress
        mark = next((p for p in reversed(seen) if p[1] <= fraction - RECENT_WINDOW), None)
        seen.append((at(fraction), fraction))
        plan = RenderPlan(audio_s=200.0, expected_s=100.0, started_at=0.0, first_at=seen[0][0],
                          first_fraction=seen[0][1], mark_at=mark[0] if mark else None,
                          mark_fraction=mark[1] if mark else None)
        eta = render_eta(plan, progress_at(fraction), measured_at=at(fraction), now=at(fraction))
        errors[round(progress_at(fraction), 2)] = eta / (total - at(fraction)) - 1
        fraction += 0.02 / RENDER_SPAN
    late = [e for p, e in errors.items() if 0.75 <= p <= 0.9]
    assert late and all(abs(e) <= 0.15 for e in late), errors


def test_before_the_first_frames_the_estimate_is_the_plan() -> None:
    plan = RenderPlan(audio_s=60.0, expected_s=30.0, started_at=100.0)
    assert render_eta(plan, 0.05, measured_at=100.0, now=101.0) == pytest.approx(29.0)
    assert render_eta(plan, 0.05, measured_at=100.0, now=140.0) == pytest.approx(27.0)  # late: never below 90 %


def test_the_rate_is_a_running_average_of_the_renders_done_here(tmp_path: Path) -> None:
    rates = RenderRates(tmp_path / FILE_NAME)
    assert rates.rate(None) == pytest.approx(0.4) and rates.rate(1080) == pytest.approx(1.0)  # defaults
    rates.record(None, audio_s=100.0, render_s=20.0)
    assert rates.rate(None) == pytest.approx(0.2)  # the first measurement replaces the default
    rates.record(None, audio_s=100.0, render_s=40.0)
    assert rates.rate(None) == pytest.approx(0.3)
    rates.record(None, audio_s=0.5, render_s=40.0)  # too short to say anything
    assert rates.rate(None) == pytest.approx(0.3) and rates.rate(720) == pytest.approx(0.5)
    assert json.loads((tmp_path / FILE_NAME).read_text())["auto"]["renders"] == 2


async def test_a_local_job_behind_a_running_render_says_it_waits_for_a_slot(home: Path, tmp_path: Path) -> None:
    # An injected rate: 0.5 s of render per second of audio on "this machine".
    (home / FILE_NAME).write_text(json.dumps({"auto": {"s_per_audio_s": 0.5, "renders": 3}}))
    settings = make_settings(home, tmp_path, "http://127.0.0.1:9", SEGMIND_API_KEY=None, UNIFICALLY_API_KEY=None,
                             TALKING_VIDEO_TIME_SCALE=300.0, TALKING_VIDEO_RENDER_SLOTS=1)
    (tmp_path / "face.png").write_bytes(png_bytes())
    (tmp_path / "long.wav").write_bytes(wav_bytes(24.0))
    (tmp_path / "short.wav").write_bytes(wav_bytes(2.0))
    async with Client(build_server(settings)) as client:
        first = structured(await client.call_tool("generate_talking_video", {
            "model": "local", "image": str(tmp_path / "face.png"), "audio": str(tmp_path / "long.wav")}))
        second = structured(await client.call_tool("generate_talking_video", {
            "model": "local", "image": str(tmp_path / "face.png"), "audio": str(tmp_path / "short.wav")}))
        deadline = time.monotonic() + 30
        while first["status"] != "processing" or first.get("eta_seconds") is None:
            assert time.monotonic() < deadline and first["status"] in ("queued", "processing"), first
            first = structured(await client.call_tool("check_video_status", {"job_id": first["job_id"]}))
        # The running render: 24 s of audio at 0.5 s/s is about 12 s (not the emulator's 300x speed, not 0.1 s).
        assert 3.0 <= first["eta_seconds"] <= 13.0, first
        assert first["detail"] is None
        waiting = structured(await client.call_tool("check_video_status", {"job_id": second["job_id"]}))
        assert waiting["status"] == "queued" and waiting["eta_seconds"] is None, waiting
        assert waiting["detail"] == (
            "Waiting for a render slot (1 render running; it is next in line)."), waiting
        listed = structured(await client.call_tool("list_jobs", {}))
        assert {j["job_id"]: j["detail"] for j in listed["jobs"]} == {
            first["job_id"]: None, second["job_id"]: waiting["detail"]}
        first = await wait_for_job(client, first, limit_s=120)
        second = await wait_for_job(client, second, limit_s=60)
    assert first["status"] == second["status"] == "completed", (first, second)
    assert second["detail"] is None and second["eta_seconds"] is None
    learned = json.loads((home / FILE_NAME).read_text())["auto"]
    assert learned["renders"] == 5 and learned["s_per_audio_s"] != 0.5  # both renders measured and folded in


def test_the_queue_names_each_waiting_jobs_place_in_line() -> None:
    def job(job_id: str, status: str, step: str, provider: str = "local") -> Any:
        return SimpleNamespace(id=job_id, status=status, step=step, provider=provider, owner=None)

    active = [job("a", "processing", "render"), job("b", "processing", "render"), job("c", "queued", "render"),
              job("d", "queued", "tts"), job("e", "queued", "poll", "segmind"), job("f", "queued", "render")]
    queue = RenderQueue.of(active, {"local": frozenset({"render"}), "segmind": frozenset()})
    assert [queue.position(j) for j in "abcdef"] == [None, None, 1, None, None, 2]
    assert queue.detail("c") == "Waiting for a render slot (2 renders running; it is next in line)."
    assert queue.detail("f") == "Waiting for a render slot (2 renders running; 2nd in line, 1 ahead of it)."
    assert queue.detail("a") is None
