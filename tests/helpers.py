"""Small test helpers: media made on the fly, tool-result unpacking, emulator uploads."""

from __future__ import annotations

import base64
import io
import os
import wave
from typing import Any, NoReturn

import httpx
import numpy as np
import pytest


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, error_text(result)
    data: dict[str, Any] = result.structured_content
    return data


def error_text(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def png_bytes(width: int = 256, height: int = 256) -> bytes:
    import cv2

    img = np.full((height, width, 3), 200, np.uint8)
    cv2.circle(img, (width // 2, height // 2), min(width, height) // 3, (90, 120, 200), -1)
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
