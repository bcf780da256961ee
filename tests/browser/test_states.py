"""What people read in the gallery and the player when something is not a finished video (issue 15): a readable
page instead of a JSON 401 without (or with an expired) token, a cancel the user asked for shown as a neutral
state, failure texts that end with a full stop and never run together, a badge that never contradicts the
notice beside it, and a job waiting for a render slot that says so."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from tests.browser.support import ARTIFACTS, http_server, seed_job
from tests.browser.test_player_app import HOST, app_frame, host_page  # noqa: F401 (the fixture)

pytestmark = pytest.mark.anyio

TOKEN = "browser-token-4f1d2c"
RED_TEXTS = ("rgb(159, 28, 20)", "rgb(180, 35, 24)", "rgb(127, 29, 29)")  # --danger, --color-text-danger, --bad


def card(job_id: str) -> str:
    return f'li[data-job-id="{job_id}"]'


async def test_without_a_token_the_gallery_is_a_page_that_says_what_to_do(settings: Any, browser: Any) -> None:
    settings = settings.model_copy(update={"http_token": SecretStr(TOKEN)})
    with http_server(settings) as server:
        context = await browser.new_context()
        page = await context.new_page()
        answer = await page.goto(f"{server.base_url}/")
        assert answer.status == 401 and answer.headers["content-type"].startswith("text/html")
        assert await page.locator("h1").inner_text() == "This gallery needs its access token"
        text = await page.locator("main").inner_text()
        assert "no access token" in text and "/?token=" in text and "TALKING_VIDEO_HTTP_TOKEN" in text
        assert "{" not in text and TOKEN not in await page.content()
        await page.screenshot(path=str(ARTIFACTS / "gallery-token-page.png"), full_page=True)

        await page.goto(f"{server.base_url}/?token=wrong-token")
        assert "not the server's token" in await page.locator("#reason").inner_text()

        # A cookie from before the token changed: the page says access expired.
        await context.add_cookies([{"name": "tvm_gallery", "value": "0" * 64, "url": server.base_url}])
        await page.goto(f"{server.base_url}/")
        assert "access has expired" in await page.locator("#reason").inner_text()

        # With the token the gallery opens; when access goes while it is open, it says so instead of retrying.
        await context.clear_cookies()
        await page.goto(f"{server.base_url}/?token={TOKEN}")
        await page.wait_for_function("() => document.getElementById('summary').textContent.includes('job')",
                                     timeout=10_000)
        await context.clear_cookies()
        await page.click("#refresh")
        conn = page.locator("#conn")
        await conn.wait_for(state="visible", timeout=5_000)
        assert "access to this gallery has expired" in await conn.inner_text()
        await context.close()


async def test_gallery_cancel_is_neutral_failures_are_sentences_and_waiting_jobs_say_so(
    settings: Any, browser: Any
) -> None:
    canceled = seed_job(settings, "canceled", error="Canceled at your request.", script="The user stopped this one.")
    failed = seed_job(settings, "failed", model="local", error="internal error in step tts: ValueError",
                      script="This one failed.")
    rendering = seed_job(settings, "processing", model="local", step="render", progress=0.4, script="Rendering now.")
    waiting = seed_job(settings, "queued", model="local", step="render", script="Waiting for the renderer.")
    with http_server(settings) as server:
        context = await browser.new_context(viewport={"width": 1100, "height": 900})
        page = await context.new_page()
        await page.goto(f"{server.base_url}/")
        await page.locator(card(waiting)).wait_for(timeout=10_000)

        note = page.locator(f"{card(canceled)} .notice")
        assert await note.get_attribute("class") == "notice neutral"
        assert await note.evaluate("n => getComputedStyle(n).color") not in RED_TEXTS
        assert await page.locator(f"{card(canceled)} .badge").inner_text() == "Canceled"
        assert "Canceled at your request. This job was canceled" in await note.inner_text()

        failure = page.locator(f"{card(failed)} .notice")
        assert await failure.evaluate("n => getComputedStyle(n).color") in RED_TEXTS
        assert "step tts: ValueError. This job failed, so there is no video." in await failure.inner_text()

        label = await page.locator(f"{card(waiting)} .progress-label").inner_text()
        assert "Waiting for a render slot (1 render running; it is next in line)" in label, label
        assert "Waiting" not in await page.locator(f"{card(rendering)} .progress-label").inner_text()
        await page.screenshot(path=str(ARTIFACTS / "gallery-states.png"), full_page=True)
        await context.close()


async def test_player_tool_error_gets_a_matching_badge(host_page: Any, settings: Any) -> None:  # noqa: F811
    page = host_page
    await page.goto(f"{HOST}/host.html")
    result = await page.evaluate("args => harness.start('generate_talking_video', args)", {
        "model": "local", "avatar_preset_id": "local:astronaut", "audio": "/nowhere/speech.wav"})
    assert result.get("isError"), result
    app = app_frame(page)
    notice = app.locator("#notice")
    await notice.wait_for(state="visible", timeout=10_000)
    badge = app.locator("#badge")
    assert await badge.inner_text() == "Not started"  # not "Waiting for the job…" beside a red error
    assert await badge.get_attribute("data-status") == "error"
    text = await notice.inner_text()
    assert text.startswith("The tool could not start the job.") and "audio" in text and text.rstrip().endswith(".")
    assert await notice.get_attribute("role") == "alert"
    assert not page.problems, page.problems


@pytest.mark.parametrize(("status", "error", "expected", "role"), [
    ("canceled", "Canceled at your request.", "Canceled at your request. This job was canceled", "status"),
    ("failed", "internal error in step tts: ValueError", "step tts: ValueError. This job failed", "alert"),
])
async def test_player_final_states(host_page: Any, settings: Any, status: str, error: str, expected: str,  # noqa: F811
                                   role: str) -> None:
    page = host_page
    job_id = seed_job(settings, status, model="local", error=error, script="A job that did not finish.")
    await page.goto(f"{HOST}/host.html")
    await page.evaluate("id => harness.start('check_video_status', {job_id: id})", job_id)
    app = app_frame(page)
    notice = app.locator("#notice")
    await notice.wait_for(state="visible", timeout=10_000)
    assert expected in await notice.inner_text()
    assert await notice.get_attribute("role") == role  # a cancel is news, not an alarm
    red = await notice.evaluate("n => getComputedStyle(n).color") in RED_TEXTS
    assert red is (status == "failed")
    assert await app.locator("#badge").inner_text() == status.capitalize()
    await page.screenshot(path=str(ARTIFACTS / f"player-app-{status}.png"), full_page=True)
    assert not page.problems, page.problems


async def test_player_shows_a_job_waiting_for_a_render_slot(host_page: Any, settings: Any) -> None:  # noqa: F811
    page = host_page
    seed_job(settings, "processing", model="local", step="render", progress=0.5, script="Rendering now.")
    waiting = seed_job(settings, "queued", model="local", step="render", script="Waiting for the renderer.")
    await page.goto(f"{HOST}/host.html")
    await page.evaluate("id => harness.start('check_video_status', {job_id: id})", waiting)
    app = app_frame(page)
    label = app.locator("#progress-label")
    await app.wait_for_function("() => document.getElementById('progress-label').textContent.includes('render slot')",
                                timeout=10_000)
    assert await label.inner_text() == (
        "Queued — Waiting for a render slot (1 render running; it is next in line)")
    assert await app.locator("#badge").inner_text() == "Queued" and await app.locator("#notice").is_hidden()
    assert not page.problems, page.problems
