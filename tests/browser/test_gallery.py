"""The job gallery of `serve --transport http` in headless Chromium: a finished job plays (with seeking over
Range requests), a running job's progress moves without a reload, failed/expired/submit_unknown jobs explain
themselves, filters and keyboard work, and the page fits 320 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import ARTIFACTS, completed_job, http_server, sample_mp4, seed_job, update_job
from tests.helpers import wav_bytes

pytestmark = pytest.mark.anyio


def card(job_id: str) -> str:
    return f'li[data-job-id="{job_id}"]'


async def test_gallery_plays_finished_jobs_and_follows_running_ones(settings: Any, emulator: Any, browser: Any):
    from mcp import Client

    running = seed_job(settings, "processing", progress=0.2, step="poll", script="Still being made, please wait.")
    failed = seed_job(settings, "failed", model="local", error="image: no face was found in the photo.",
                      script="This one failed.", voice_id="piper:en_US-joe-medium")
    expired = seed_job(settings, "expired", script="This one expired at the provider.")
    unknown = seed_job(settings, "submit_unknown", script="Nobody knows if this was billed.",
                       error="The connection dropped during the paid submit.")
    speech = seed_job(settings, "completed", model="local", kind="speech", script="Only a voice, no face.",
                      voice_id="piper:en_US-joe-medium", audio=wav_bytes(1.0))
    with http_server(settings) as server:
        async with Client(server.mcp_url) as client:
            done = (await completed_job(client, emulator, "Welcome to the gallery!"))["job_id"]

        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        video_statuses: list[int] = []
        page.on("response", lambda r: video_statuses.append(r.status) if "/videos/" in r.url else None)
        await page.goto(f"{server.base_url}/")
        await page.evaluate("window.__sameDocument = true")

        # The finished job: its <video> loads, plays and seeks (over 206 responses).
        video = page.locator(f"{card(done)} video")
        await video.wait_for(timeout=10_000)
        assert await video.get_attribute("aria-label")
        # Before anyone presses play, the card shows the still saved when the video was made (not black).
        assert await video.get_attribute("poster") == f"posters/{done}.jpg"
        await page.wait_for_function("src => fetch(src).then(r => r.ok && r.headers.get('content-type') === "
                                     "'image/jpeg')", arg=f"posters/{done}.jpg", timeout=5_000)
        await video.evaluate("v => { v.muted = true; return v.play(); }")
        await page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.3", arg=await video.element_handle(),
                                     timeout=15_000)
        start = await video.evaluate("v => v.currentTime")
        await page.wait_for_timeout(400)
        assert await video.evaluate("v => v.currentTime") > start, "currentTime did not advance"
        await video.evaluate("v => { v.currentTime = 0.1; }")
        await page.wait_for_function("v => !v.seeking", arg=await video.element_handle(), timeout=10_000)
        assert 206 in video_statuses, video_statuses
        assert await page.locator(f"{card(done)} a[download]").get_attribute("href") == f"videos/{done}.mp4"
        assert "Welcome to the gallery!" in await page.locator(card(done)).inner_text()

        # The running job moves without a reload, then finishes and gets a player.
        bar = page.locator(f"{card(running)} progress")
        assert await bar.get_attribute("value") == "20"
        update_job(settings, running, progress=0.65)
        await page.wait_for_function("sel => document.querySelector(sel)?.value === 65",
                                     arg=f"{card(running)} progress", timeout=5_000)
        assert "65%" in await page.locator(card(running)).inner_text()
        path = settings.videos_dir / f"{running}.mp4"
        path.write_bytes(sample_mp4())
        update_job(settings, running, status="completed", progress=1.0, step=None, video_path=str(path))
        await page.locator(f"{card(running)} video").wait_for(timeout=5_000)
        assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"

        # A text_to_speech job: an audio player and a download link, and no path on the server in the card.
        audio = page.locator(f"{card(speech)} audio")
        assert await audio.get_attribute("src") == f"audio/{speech}.wav"
        await page.wait_for_function("a => a.readyState >= 1", arg=await audio.element_handle(), timeout=10_000)
        assert await page.locator(f"{card(speech)} a[download]").inner_text() == "Download audio (31 KB)"
        assert str(settings.home) not in await page.locator(card(speech)).inner_text()

        # Jobs without a video say why, in words.
        assert "no face was found" in await page.locator(card(failed)).inner_text()
        assert "expired before it could be downloaded" in await page.locator(card(expired)).inner_text()
        assert "never re-sent automatically" in await page.locator(card(unknown)).inner_text()
        for job_id in (failed, expired, unknown):
            assert await page.locator(f"{card(job_id)} video").count() == 0

        # Labelled controls, reachable from the keyboard.
        assert await page.evaluate(
            "[...document.querySelectorAll('select, progress')].every(e => e.labels && e.labels.length > 0)")
        for _ in range(6):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.id") == "f-status":
                break
        assert await page.evaluate("document.activeElement.id") == "f-status"
        await page.screenshot(path=str(ARTIFACTS / "gallery-desktop.png"), full_page=True)

        # Filters: by status and by model, kept in the URL.
        await page.select_option("#f-status", "completed")
        await page.wait_for_function("() => document.querySelectorAll('#jobs > li').length === 3", timeout=5_000)
        assert "status=completed" in page.url
        await page.select_option("#f-status", "")
        await page.select_option("#f-model", "local")
        await page.wait_for_function("() => document.querySelectorAll('#jobs > li').length === 2", timeout=5_000)
        assert await page.locator(card(failed)).count() == 1 and await page.locator(card(speech)).count() == 1
        await page.select_option("#f-model", "")
        await page.wait_for_function("() => document.querySelectorAll('#jobs > li').length === 6", timeout=5_000)

        # Readable at 320 px: one column, nothing wider than the screen.
        await page.set_viewport_size({"width": 320, "height": 720})
        await page.wait_for_timeout(200)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await page.screenshot(path=str(ARTIFACTS / "gallery-320.png"), full_page=True)
        await context.close()
    assert not problems, problems
