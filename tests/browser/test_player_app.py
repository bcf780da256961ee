"""The MCP Apps player in a test host (tests/browser/harness/host.html) in headless Chromium: the host renders
the `ui://` resource in a sandboxed iframe, speaks the ext-apps postMessage protocol to it and proxies its
`tools/call` requests to the real server through an in-process MCP client (the /rpc endpoint served here)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.browser.support import ARTIFACTS, seed_job, update_job
from tests.browser.support import host_page as open_host
from tests.helpers import png_bytes, upload

pytestmark = pytest.mark.anyio

HOST = "http://harness.test"


@pytest.fixture
async def host_page(browser: Any, client: Any) -> AsyncIterator[Any]:
    async with open_host(browser, client, HOST) as page:
        yield page


def app_frame(page: Any) -> Any:
    [frame] = page.main_frame.child_frames
    return frame


@pytest.mark.parametrize("csp", ["spec", "blob"])
async def test_player_plays_the_video_fetched_through_the_app_only_tool(host_page: Any, emulator: Any, csp: str):
    page = host_page
    await page.goto(f"{HOST}/host.html?csp={csp}")
    image = upload(emulator.base_url, png_bytes(), "image/png")
    args = {"model": "segmind/heygen-avatar-iv", "image": image, "script": "Hi! This plays inside the chat.",
            "voice_id": "Nova"}
    result = await page.evaluate("args => harness.start('generate_talking_video', args)", args)
    assert result["structuredContent"]["status"] in ("queued", "processing")  # the app follows it from here
    app = app_frame(page)
    await app.wait_for_function("() => document.getElementById('video').readyState >= 2", timeout=30_000)
    await app.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    await app.wait_for_function("() => document.getElementById('video').currentTime > 0.3", timeout=10_000)
    # spec CSP (media-src 'self' data:) refuses blob: video, so the player falls back to a data: URL
    source = await app.evaluate("() => window.talkingVideoPlayer.state.source")
    assert source == ("data" if csp == "spec" else "blob")

    harness = await page.evaluate("() => harness")
    assert harness["initialized"] and harness["resultSent"] and not harness["errors"] and not harness["refused"]
    assert harness["messages"][0] == "ui/initialize" and "ui/notifications/initialized" in harness["messages"]
    assert harness["appInfo"]["name"] == "talking-video-player"
    assert "check_video_status" in harness["calls"] and "get_video_chunk" in harness["calls"]
    assert harness["sizes"], "the app never reported its size"

    text = await app.locator("main").inner_text()
    for expected in ("Hi! This plays inside the chat.", "Nova", "segmind/heygen-avatar-iv", "$", "Ready"):
        assert expected in text, expected
    download = app.locator("#download")
    assert await download.get_attribute("aria-disabled") == "false"
    assert await download.get_attribute("download") == f"{result['structuredContent']['job_id']}.mp4"
    if csp == "spec":
        await page.screenshot(path=str(ARTIFACTS / "player-app-desktop.png"), full_page=True)
        await page.set_viewport_size({"width": 320, "height": 800})
        await page.wait_for_timeout(300)
        assert await app.evaluate("() => document.documentElement.scrollWidth") <= 320
        await page.screenshot(path=str(ARTIFACTS / "player-app-320.png"), full_page=True)
    assert not page.problems, page.problems


async def test_player_shows_live_progress_then_a_clear_message(host_page: Any, settings: Any):
    page = host_page
    job_id = seed_job(settings, "processing", progress=0.3, step="poll", script="A job that will not end well.")
    await page.goto(f"{HOST}/host.html")
    await page.evaluate("id => harness.start('check_video_status', {job_id: id})", job_id)
    app = app_frame(page)
    await app.wait_for_function("() => document.getElementById('progress').value === 30", timeout=10_000)
    assert "A job that will not end well." in await app.locator("main").inner_text()
    update_job(settings, job_id, progress=0.7)
    await app.wait_for_function("() => document.getElementById('progress').value === 70", timeout=10_000)
    update_job(settings, job_id, status="submit_unknown", error="The connection dropped during the paid submit.")
    notice = app.locator("#notice")
    await notice.wait_for(state="visible", timeout=10_000)
    text = await notice.inner_text()
    assert "connection dropped" in text and "never re-sent automatically" in text
    assert await notice.get_attribute("role") == "alert"
    assert await app.locator("#progress-box").is_hidden() and await app.locator("#player").is_hidden()
    assert await app.locator("#badge").inner_text() == "Submit unknown"
    await page.screenshot(path=str(ARTIFACTS / "player-app-submit-unknown.png"), full_page=True)
    assert not page.problems, page.problems
