"""Small test helpers: media made on the fly, tool-result unpacking, emulator uploads."""

from __future__ import annotations

import base64
import io
import os
import time
import wave
from pathlib import Path
from typing import Any, NoReturn

import httpx
import numpy as np
import pytest

PRESETS = Path(__file__).resolve().parents[1] / "src" / "talking_video_mcp" / "assets" / "presets"


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, error_text(result)
    data: dict[str, Any] = result.structured_content
    return data


def error_text(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def png_bytes(width: int = 256, height: int = 256, *, face: bool = True) -> bytes:
    """A PNG of width × height. By default a real face (the shipped Grace Hopper preset, cropped to the aspect
    and scaled), which the server's face check accepts; `face=False`: a plain grey picture with no face."""
    import cv2

    if not face:
        img = np.full((height, width, 3), 128, np.uint8)
    else:
        photo = cv2.imread(str(PRESETS / "grace_hopper.jpg"))
        h, w = photo.shape[:2]
        side = min(w, h * width / height)
        crop_w, crop_h = round(side), round(side * height / width)
        x, y = (w - crop_w) // 2, max(0, (h - crop_h) // 3)
        img = cv2.resize(photo[y:y + crop_h, x:x + crop_w], (width, height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return bytes(buf)


def wav_bytes(seconds: float = 3.0, rate: int = 16000, silent: bool = False) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    signal = np.zeros_like(t) if silent else 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    pcm = (signal * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def upload(base_url: str, data: bytes, mime: str, key: str = "test-key") -> str:
    """Put a file on the emulator (as a test fixture host) and return its URL."""
    data_url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    response = httpx.post(f"{base_url}/upload-asset", json={"data_urls": [data_url]}, headers={"x-api-key": key})
    response.raise_for_status()
    body = response.json()
    urls = body.get("urls") or body.get("file_urls")
    return str(urls[0])


def segmind_submits(stats: dict[str, Any]) -> int:
    """Every POST that reached the Segmind submit endpoint, accepted or not."""
    return int(stats["endpoints"].get("segmind.submit", 0))


_MINIMAL_BODIES: dict[str, dict[str, Any]] = {
    "segmind/higgsfield-speech2video": {
        "payload": {"prompt": "p", "quality": "high", "enhance_prompt": False, "seed": 42, "duration": 10},
    },
    "segmind/heygen-avatar-iv": {
        "payload": {"video_title": "t", "video_orientation": "landscape", "fit": "cover",
                    "enhance_custom_motion_prompt": False},
    },
    "unifically/higgsfield-speak": {
        "payload": {"image_url": "https://x.invalid/a.png", "prompt": "p", "quality": "basic", "enhance_prompt": True},
    },
}


def stored_request(model: str, *, script: str | None = None, voice_id: str | None = None, **extra: Any) -> Any:
    """A typed job request for `model`, as the ledger stores one (for tests that write rows directly)."""
    from talking_video_mcp.domain.requests import load_request

    data = {**_MINIMAL_BODIES.get(model, {}), "display": {"script": script, "voice_id": voice_id}, **extra}
    return load_request(model, data)


async def wait_for_job(client: Any, job: dict[str, Any] | str, *, limit_s: float = 60.0, wait_s: float = 5.0,
                       **call: Any) -> dict[str, Any]:
    """check_video_status until the job leaves the product's active statuses; fails the test past `limit_s`.
    Extra keyword arguments go to call_tool (a progress_callback, say)."""
    from talking_video_mcp.models import ACTIVE_STATUSES

    view: dict[str, Any] = {"job_id": job, "status": "queued"} if isinstance(job, str) else job
    deadline = time.monotonic() + limit_s
    while view["status"] in ACTIVE_STATUSES:
        assert time.monotonic() < deadline, f"still {view['status']} after {limit_s:g} s: {view}"
        view = structured(await client.call_tool(
            "check_video_status", {"job_id": view["job_id"], "wait_seconds": wait_s}, **call))
    return view
def in_ci() -> bool:
    """CI=true (GitHub Actions, GitLab, .ci/run): every test component must be there."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> NoReturn:
    """A test component (Chromium, PostgreSQL, Playwright, psycopg) is missing: locally the test skips,
    saying why; in CI the run fails with the same reason, so a broken install cannot pass as green."""
    if in_ci():
        pytest.fail(f"CI=true and a test component is missing: {reason}. Install it (see .ci/run); in CI "
                    "these tests must run, not skip.", pytrace=False)
    pytest.skip(reason)
