"""What the HTTP transport gives for finished jobs besides the MP4: a text_to_speech job gets a download_url and
an audio card in the gallery (no server path in it), and a video gets a poster frame saved when it was made,
so its card is not black until played."""

from __future__ import annotations

from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from talking_video_mcp.settings import Settings
from tests.helpers import png_bytes, structured, upload, wait_for_job
from tests.signed_in import ALICE, BOB, session, signed_in_server

pytestmark = pytest.mark.anyio


def _gallery(base: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/api/jobs", headers={"authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json()["jobs"])


async def test_speech_jobs_get_a_download_link_and_an_audio_card(settings: Settings) -> None:
    with signed_in_server(settings) as base:
        async with session(base, ALICE) as alice:
            job = structured(await alice.call_tool("text_to_speech", {"text": "Hello there.", "provider": "local"}))
            job = await wait_for_job(alice, job, limit_s=60)
            assert job["status"] == "completed", job
            link = job["download_url"]
            assert link and link.startswith(f"{base}/downloads/{job['job_id']}.wav?"), job
            got = httpx.get(link, timeout=10)  # no token: the signature is the credential
            assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
            assert got.content[:4] == b"RIFF"
            assert httpx.get(link.replace(".wav?", ".mp4?"), timeout=10).status_code in (403, 404)
        [card] = _gallery(base, ALICE)
        assert card["audio_src"] == f"audio/{job['job_id']}.wav" and "audio_path" not in card
        assert str(settings.home) not in str(card)  # no server path runs out of the card
        audio = httpx.get(f"{base}/{card['audio_src']}", headers={"authorization": f"Bearer {ALICE}"}, timeout=10)
        assert audio.status_code == 200 and audio.content == got.content
        other = httpx.get(f"{base}/{card['audio_src']}", headers={"authorization": f"Bearer {BOB}"}, timeout=10)
        assert other.status_code == 404


async def test_video_cards_show_a_poster_frame_saved_at_render_time(settings: Settings, emulator: Any) -> None:
    with signed_in_server(settings) as base:
        async with session(base, ALICE) as alice:
            job = structured(await alice.call_tool("generate_talking_video", {
                "model": "segmind/heygen-avatar-iv", "image": upload(emulator.base_url, png_bytes(), "image/png"),
                "script": "A card with a face on it.", "voice_id": "Nova"}))
            job = await wait_for_job(alice, job, limit_s=60)
            assert job["status"] == "completed", job
        [card] = _gallery(base, ALICE)
        assert card["poster_src"] == f"posters/{job['job_id']}.jpg"
        poster = httpx.get(f"{base}/{card['poster_src']}", headers={"authorization": f"Bearer {ALICE}"}, timeout=10)
        assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(poster.content, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.mean() > 20 and image.std() > 5  # a picture, not a black frame
        assert (settings.videos_dir / f"{job['job_id']}.jpg").is_file()  # the card's <video poster>: test_gallery
