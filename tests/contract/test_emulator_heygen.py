"""The emulator speaks HeyGen v3: envelopes, paging, assets, the video progression, expiring presigned URLs,
errors in HeyGen's shape and the shared fault injection. Plain httpx against the loopback emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from talking_video_mcp.emulator.runner import EmulatorHandle
from tests.contract.conftest import FakeClock
from tests.helpers import wav_bytes

KEY = {"x-api-key": "hg-test-key"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _post(emu: EmulatorHandle, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(emu.url("/v3/videos"), json=body, headers={**KEY, **headers})


def _get(emu: EmulatorHandle, path: str, **params: Any) -> httpx.Response:
    return httpx.get(emu.url(path), headers=KEY, params=params)


def _photo_video(**extra: Any) -> dict[str, Any]:
    return {"type": "image", "image": {"type": "url", "url": "https://example.com/face.png"},
            "script": "Hello there from the emulator.", "voice_id": _voice(), **extra}


def _voice() -> str:
    from talking_video_mcp.emulator.heygen import voices

    return str(voices()[0]["voice_id"])


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message", "param", "doc_url"}
    return error


def test_key_is_required_in_x_api_key(emu: EmulatorHandle) -> None:
    response = httpx.get(emu.url("/v3/users/me"), headers={"authorization": "Bearer hg-test-key"})
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"
    assert httpx.get(emu.url("/v3/users/me"), headers={"x-api-key": "bad-key"}).status_code == 401


def test_wallet_balance_in_the_data_envelope(emu: EmulatorHandle) -> None:
    data = _get(emu, "/v3/users/me").json()["data"]
    assert data["billing_type"] == "wallet"
    assert data["wallet"] == {"currency": "usd", "remaining_balance": 100.0, "auto_reload": {"enabled": False}}


@pytest.mark.parametrize(("path", "key", "total", "most"),
                         [("/v3/voices", "voice_id", 45, 100), ("/v3/avatars/looks", "id", 30, 50)])
def test_lists_page_with_limit_and_token(emu: EmulatorHandle, path: str, key: str, total: int, most: int) -> None:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        body = _get(emu, path, limit=20, **({"token": token} if token else {})).json()
        assert set(body) == {"data", "has_more", "next_token"}
        seen += [item[key] for item in body["data"]]
        pages += 1
        if not body["has_more"]:
            assert body["next_token"] is None
            break
        token = body["next_token"]
    assert pages == -(-total // 20) and len(set(seen)) == total
    assert _get(emu, path, limit=most).status_code == 200
    bad = _get(emu, path, limit=most + 1)
    assert bad.status_code == 400 and _error(bad)["param"] == "limit"
    assert _error(_get(emu, path, token="%%%"))["param"] == "token"


def test_asset_upload_is_multipart_and_capped_at_32_mb(emu: EmulatorHandle) -> None:
    ok = httpx.post(emu.url("/v3/assets"), headers=KEY, files={"file": ("a.png", PNG, "image/png")})
    data = ok.json()["data"]
    assert data["mime_type"] == "image/png" and data["size_bytes"] == len(PNG) and data["asset_id"]
    assert httpx.get(data["url"]).content == PNG
    big = httpx.post(emu.url("/v3/assets"), headers=KEY,
                     files={"file": ("big.wav", b"RIFF" + b"\0" * (32 * 2**20 + 10), "audio/wav")})
    assert big.status_code == 413 and _error(big)["code"] == "payload_too_large"
    odd = httpx.post(emu.url("/v3/assets"), headers=KEY, files={"file": ("a.txt", b"hello", "text/plain")})
    assert odd.status_code == 400 and _error(odd)["param"] == "file"


@pytest.mark.parametrize(("change", "param", "code"), [
    ({"type": "studio"}, "type", "validation_error"),
    ({"resolution": "8k"}, "resolution", "validation_error"),
    ({"aspect_ratio": "2:1"}, "aspect_ratio", "validation_error"),
    ({"voice_id": None}, "voice_id", "validation_error"),
    ({"voice_id": "nope"}, "voice_id", "validation_error"),
    ({"audio_url": "https://example.com/a.mp3"}, "audio_url", "validation_error"),
    ({"image": {"type": "asset_id", "asset_id": "missing"}}, "image.asset_id", "asset_not_available"),
    ({"engine": {"type": "avatar_iv"}}, "engine", "validation_error"),
    ({"caption": {"file_format": "vtt"}}, "caption.file_format", "validation_error"),
])  # fmt: skip
def test_create_refuses_bad_bodies_naming_the_field(
    emu: EmulatorHandle, change: dict[str, Any], param: str, code: str
) -> None:
    response = _post(emu, {**_photo_video(), **change})
    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["param"]) == (code, param)
    assert emu.stats()["endpoints"]["heygen.videos.create"] == 1
    assert not emu.state.jobs  # nothing created, nothing charged
    assert _get(emu, "/v3/users/me").json()["data"]["wallet"]["remaining_balance"] == 100.0


def test_unknown_avatar_is_not_found(emu: EmulatorHandle) -> None:
    response = _post(emu, {"type": "avatar", "avatar_id": "look_nope", "script": "Hi."})
    assert response.status_code == 404 and _error(response)["param"] == "avatar_id"


def test_video_progression_and_expiring_urls(emu: EmulatorHandle, clock: FakeClock) -> None:
    created = _post(emu, _photo_video(caption={"file_format": "srt"}, resolution="4k"))
    assert created.status_code == 200
    data = created.json()["data"]
    assert data["status"] == "waiting" and data["output_format"] == "mp4"
    video_id = data["video_id"]
    # 5 words at 2.5 words/s = 2 s; 4K costs $0.0667 a second.
    assert _get(emu, "/v3/users/me").json()["data"]["wallet"]["remaining_balance"] == pytest.approx(100 - 0.1334)
    words = []
    for step in (0, 20, 5, 100, 200):
        clock.advance(step)
        words.append(_get(emu, f"/v3/videos/{video_id}").json()["data"]["status"])
    assert words == ["waiting", "pending", "pending", "processing", "completed"]
    done = _get(emu, f"/v3/videos/{video_id}").json()["data"]
    assert done["duration"] == 2.0 and done["id"] == video_id
    video = httpx.get(done["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4" and len(video.content) > 100
    srt = httpx.get(done["subtitle_url"]).text
    assert "Hello there from the emulator." in srt and "00:00:02,000" in srt
    clock.advance(601)  # presigned URLs live 600 s here
    expired = httpx.get(done["video_url"])
    assert expired.status_code == 403 and "Request has expired" in expired.text
    fresh = _get(emu, f"/v3/videos/{video_id}").json()["data"]["video_url"]
    assert fresh != done["video_url"] and httpx.get(fresh).status_code == 200


def test_audio_asset_sets_the_length_and_the_price(emu: EmulatorHandle, clock: FakeClock) -> None:
    asset = httpx.post(emu.url("/v3/assets"), headers=KEY, files={"file": ("a.wav", wav_bytes(4.0), "audio/wav")})
    body = {"type": "avatar", "avatar_id": "look_0001", "audio_asset_id": asset.json()["data"]["asset_id"],
            "resolution": "720p"}
    video_id = _post(emu, body).json()["data"]["video_id"]
    assert _get(emu, "/v3/users/me").json()["data"]["wallet"]["remaining_balance"] == pytest.approx(99.8)
    clock.advance(400)
    assert _get(emu, f"/v3/videos/{video_id}").json()["data"]["duration"] == 4.0


def test_insufficient_credit(emu: EmulatorHandle) -> None:
    httpx.post(emu.url("/_emulator/balance"), json={"provider": "heygen", "key": "hg-test-key", "amount": 0.01})
    response = _post(emu, _photo_video())
    assert response.status_code == 402 and _error(response)["code"] == "insufficient_credit"
    assert not emu.state.jobs


def test_faults_fail_429_and_drop_after_commit(emu: EmulatorHandle, clock: FakeClock) -> None:
    limited = httpx.get(emu.url("/v3/voices"), headers={**KEY, "x-emulator-fault": "429"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert _error(limited)["code"] == "rate_limit_exceeded"
    with pytest.raises(httpx.TransportError):
        _post(emu, _photo_video(), **{"x-emulator-fault": "drop-after-commit"})
    assert emu.stats()["endpoints"]["heygen.videos.create"] == 1
    (job_id,) = emu.state.jobs  # committed although the answer was lost
    failing = _post(emu, _photo_video(), **{"x-emulator-fault": "fail"}).json()["data"]["video_id"]
    clock.advance(400)
    failed = _get(emu, f"/v3/videos/{failing}").json()["data"]
    assert failed["status"] == "failed" and failed["failure_code"] and failed["failure_message"]
    assert "video_url" not in failed
    assert _get(emu, f"/v3/videos/{job_id}").json()["data"]["status"] == "completed"


def test_rate_limit_window_answers_retry_after() -> None:
    from talking_video_mcp.emulator import EmulatorConfig, run_in_thread

    with run_in_thread(EmulatorConfig(heygen_rate_limit_per_min=2)) as emu:
        codes = [_get(emu, "/v3/voices").status_code for _ in range(3)]
        last = _get(emu, "/v3/voices")
    assert codes == [200, 200, 429]
    assert last.headers["retry-after"] and _error(last)["code"] == "rate_limit_exceeded"
