"""The player app's "new video" view in a test host (tests/browser/harness/host.html), for a signed-in user of the
HTTP transport: they pick their own photo, which the app uploads to the server through create_upload's signed
URL (the host lets the app reach the server because the resource declares it in `ui.csp.connectDomains`),
write a script, pick a voice, see the price, submit, watch the progress and play the video. Another user can
neither use that upload nor see the job it made."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from talking_video_mcp.settings import Settings
from tests.browser.support import ARTIFACTS, chromium, host_page
from tests.browser.test_player_app import app_frame
from tests.helpers import error_text, png_bytes, structured
from tests.signed_in import ALICE, BOB, session, signed_in_server

pytestmark = pytest.mark.anyio
# A chat app is served over https: a secure context, which Chromium lets reach a server on loopback (the
# upload URL) once the server's preflight allows private-network requests.
HOST = "https://harness.test"


@pytest.fixture
def site(settings: Settings) -> Iterator[str]:
    with signed_in_server(settings) as base:
        yield base


@pytest.fixture
async def remote_browser() -> AsyncIterator[Any]:
    """Chromium as a remote user's: the server it uploads to is not on their network. Here it runs on loopback,
    which Chromium guards with a permission prompt (Local Network Access) nobody can answer headless."""
    async with chromium("--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessPermissionPrompt") as launched:
        yield launched


@pytest.fixture
async def alice_page(remote_browser: Any, site: str) -> AsyncIterator[Any]:
    async with session(site, ALICE) as alice, host_page(remote_browser, alice, HOST, height=1000) as page:
        yield page


async def test_a_signed_in_user_makes_a_video_from_their_own_photo(
        alice_page: Any, site: str, settings: Settings, tmp_path: Any) -> None:
    page = alice_page
    await page.goto(f"{HOST}/host.html")
    await page.evaluate("() => harness.start('open_video_maker', {})")
    assert await page.evaluate("() => harness.connectDomains") == [site]
    app = app_frame(page)
    await app.locator("#maker").wait_for(state="visible", timeout=10_000)
    await app.wait_for_function("() => document.getElementById('m-voice').options.length > 0", timeout=15_000)
    await app.select_option("#m-model", "segmind/heygen-avatar-iv")

    photo = tmp_path / "me.png"
    photo.write_bytes(png_bytes())
    await app.set_input_files("#m-photo", str(photo))
    await app.wait_for_function("() => /uploaded|cannot|sent with/.test("
                                "document.getElementById('m-photo-state').textContent)",
                                timeout=20_000)
    assert "The photo is uploaded." in await app.locator("#m-photo-state").inner_text(), page.console
    [kept] = list(settings.uploads_dir.iterdir())
    assert kept.read_bytes() == photo.read_bytes()
    await app.fill("#m-script", "Hello! I made this from my own photo.")
    await app.wait_for_function("() => /\\$\\d/.test(document.getElementById('m-price').textContent)", timeout=20_000)
    upload_id = await app.evaluate("() => window.talkingVideoPlayer.maker.uploadId")
    assert upload_id.startswith("upload://")
    await page.screenshot(path=str(ARTIFACTS / "video-maker-form.png"), full_page=True)

    await app.click("#m-submit")
    await app.wait_for_function("() => window.talkingVideoPlayer.state.job || "
                                "!document.getElementById('notice').hidden",
                                timeout=30_000)
    assert await app.locator("#notice").is_hidden(), await app.locator("#notice").inner_text()
    await app.locator("#progress-box").wait_for(state="visible", timeout=20_000)  # progress shows
    await app.wait_for_function("() => document.getElementById('video').readyState >= 2", timeout=60_000)
    await app.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    await app.wait_for_function("() => document.getElementById('video').currentTime > 0.3", timeout=10_000)
    assert await app.locator("#maker").is_hidden()
    assert "Hello! I made this from my own photo." in await app.locator("main").inner_text()
    job_id = await app.evaluate("() => window.talkingVideoPlayer.state.job.job_id")
    harness = await page.evaluate("() => harness")
    assert {"create_upload", "generate_talking_video", "check_video_status", "get_video_chunk"} <= set(harness["calls"])
    assert not harness["errors"] and not harness["refused"]
    await page.screenshot(path=str(ARTIFACTS / "video-maker-playing.png"), full_page=True)
    assert not page.problems, page.problems

    async with session(site, BOB) as bob:
        used = await bob.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": upload_id, "script": "Not my photo.", "voice_id": "Nova"})
        assert used.is_error and error_text(used).startswith("image: names another user's upload")
        seen = structured(await bob.call_tool("list_jobs", {}))
        assert job_id not in json.dumps(seen) and upload_id.split(".")[0][9:] not in json.dumps(seen)
        hidden = await bob.call_tool("check_video_status", {"job_id": job_id})
        assert hidden.is_error
