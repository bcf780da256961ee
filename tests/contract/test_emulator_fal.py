"""The emulator speaks fal's queue contract: `Key` auth, submit answering URLs that drop the model's sub-path,
status with queue position and logs, the result's `video`, cancel's three answers, 422 `detail` items, and
the storage upload (token, then the raw file). Time moves on a fake clock."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from talking_video_mcp.emulator.runner import EmulatorHandle
from tests.contract.conftest import FakeClock

KEY = "fal-test-key-0c1d2e3f:secret"
OMNI = "fal-ai/bytedance/omnihuman/v1.5"
IMAGE = "https://example.com/face.png"
AUDIO = "https://example.com/speech.wav"
RUN_S = 180.0  # the emulator's OmniHuman run (fal.SPECS)


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers={"authorization": f"Key {KEY}"}, timeout=10) as http:
        yield http


def submit(client: httpx.Client, endpoint: str = OMNI, **body: Any) -> dict[str, Any]:
    body = {"image_url": IMAGE, "audio_url": AUDIO, **body}
    response = client.post(f"/fal/queue/{endpoint}", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_key_auth(client: httpx.Client, emu: EmulatorHandle) -> None:
    missing = httpx.post(emu.url(f"/fal/queue/{OMNI}"), json={"image_url": IMAGE, "audio_url": AUDIO})
    assert missing.status_code == 401 and "Key" in missing.json()["detail"]
    bearer = httpx.post(emu.url(f"/fal/queue/{OMNI}"), json={}, headers={"authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 401
    bad = httpx.post(emu.url(f"/fal/queue/{OMNI}"), json={}, headers={"authorization": "Key bad-key"})
    assert bad.status_code == 401 and bad.json() == {"detail": "Invalid API key"}
    assert emu.stats()["models"][OMNI]["accepted"] == 0


def test_submit_urls_drop_the_sub_path_and_the_job_runs_through_the_queue(
    client: httpx.Client, emu: EmulatorHandle, clock: FakeClock
) -> None:
    handle = submit(client)
    rid = handle["request_id"]
    base = emu.url(f"/fal/queue/fal-ai/bytedance/requests/{rid}")
    assert handle == {"request_id": rid, "status_url": f"{base}/status", "response_url": base,
                      "cancel_url": f"{base}/cancel"}
    queued = client.get(handle["status_url"], params={"logs": 1})
    assert queued.status_code == 202
    assert queued.json()["status"] == "IN_QUEUE" and queued.json()["queue_position"] == 2
    assert client.get(handle["response_url"]).status_code == 400  # not done yet
    clock.advance(RUN_S * 0.6)
    running = client.get(handle["status_url"], params={"logs": 1}).json()
    assert running["status"] == "IN_PROGRESS"
    assert all(set(line) == {"timestamp", "level", "source", "message"} for line in running["logs"])
    assert any("Generating frames" in line["message"] for line in running["logs"])
    assert client.get(handle["status_url"]).json()["logs"] is None  # logs only with ?logs=1
    clock.advance(RUN_S)
    done = client.get(handle["status_url"], params={"logs": 1}).json()
    assert done["status"] == "COMPLETED" and "error" not in done and done["metrics"]["inference_time"] > 0
    video = client.get(handle["response_url"]).json()["video"]
    assert video["content_type"] == "video/mp4" and video["file_name"].endswith(".mp4")
    assert client.get(video["url"]).content[4:8] == b"ftyp"
    stats = emu.stats()
    assert stats["models"][OMNI]["submit"] == 1 and stats["models"][OMNI]["accepted"] == 1
    assert stats["models"][OMNI]["status"] == 4 and stats["models"][OMNI]["result"] == 2
    assert stats["jobs"][rid]["input"]["resolution"] == "1080p"  # fal's default filled in
    assert stats["spent"]["fal"] == pytest.approx(0.16 * 5)


def test_a_different_model_of_the_same_app_does_not_see_the_request(client: httpx.Client) -> None:
    handle = submit(client, "fal-ai/kling-video/ai-avatar/v2/pro")
    assert "/fal/queue/fal-ai/kling-video/requests/" in handle["status_url"]
    wrong = handle["status_url"].replace("kling-video", "heygen")
    assert client.get(wrong).status_code == 404


def test_validation_errors_are_422_detail_items_naming_the_field(client: httpx.Client, emu: EmulatorHandle) -> None:
    response = client.post(f"/fal/queue/{OMNI}", json={"image_url": IMAGE, "resolution": "4k"})
    assert response.status_code == 422
    assert response.headers["x-fal-needs-retry"] == "false"
    items = {tuple(item["loc"]): item for item in response.json()["detail"]}
    assert items[("body", "audio_url")]["type"] == "missing"
    assert items[("body", "resolution")]["type"] == "literal_error"
    fabric = client.post("/fal/queue/veed/fabric-1.0", json={"image_url": IMAGE, "audio_url": AUDIO})
    assert fabric.status_code == 422 and fabric.json()["detail"][0]["loc"] == ["body", "resolution"]
    frames = client.post("/fal/queue/fal-ai/infinitalk", json={"image_url": IMAGE, "audio_url": AUDIO,
                                                                 "prompt": "hi", "num_frames": 900})
    assert frames.status_code == 422 and frames.json()["detail"][0]["loc"] == ["body", "num_frames"]
    assert client.post("/fal/queue/fal-ai/unknown-model", json={}).status_code == 404
    assert emu.stats()["models"][OMNI]["rejected"] == 1


def test_data_uris_are_taken_up_to_about_10_mb(client: httpx.Client) -> None:
    small = "data:audio/wav;base64," + base64.b64encode(b"RIFF" + bytes(1000)).decode()
    submit(client, audio_url=small)
    big = "data:audio/wav;base64," + "A" * 10_000_100
    response = client.post(f"/fal/queue/{OMNI}", json={"image_url": IMAGE, "audio_url": big})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "file_too_large"


def test_content_policy_refusal_completes_with_an_error(client: httpx.Client, clock: FakeClock) -> None:
    response = client.post(f"/fal/queue/{OMNI}", json={"image_url": IMAGE, "audio_url": AUDIO},
                           headers={"x-emulator-fault": "fail"})
    handle = response.json()
    clock.advance(RUN_S * 1.1)
    status = client.get(handle["status_url"]).json()
    assert status["status"] == "COMPLETED" and status["error_type"] == "content_policy_violation"
    result = client.get(handle["response_url"])
    assert result.status_code == 422 and result.headers["x-fal-needs-retry"] == "false"
    assert result.json()["detail"][0]["type"] == "content_policy_violation"
    assert result.json()["detail"][0]["loc"] == ["body", "image_url"]


def test_an_image_too_large_fails_with_image_too_large(client: httpx.Client, clock: FakeClock,
                                                       emu: EmulatorHandle) -> None:
    image = "data:image/png;base64," + base64.b64encode(bytes(7 * 2**20 + 10)).decode()
    handle = submit(client, image_url=image)
    clock.advance(RUN_S * 1.1)
    assert client.get(handle["status_url"]).json()["error_type"] == "image_too_large"
    assert client.get(handle["response_url"]).json()["detail"][0]["type"] == "image_too_large"
    assert emu.stats()["spent"]["fal"] == 0  # fal bills only successful outputs


def test_cancel_answers(client: httpx.Client, clock: FakeClock) -> None:
    queued = submit(client)
    first = client.put(queued["cancel_url"])
    assert first.status_code == 202 and first.json() == {"status": "CANCELLATION_REQUESTED"}
    status = client.get(queued["status_url"]).json()
    assert status["status"] == "COMPLETED" and status["error_type"] == "request_cancelled"
    done = submit(client)
    clock.advance(RUN_S * 1.1)
    late = client.put(done["cancel_url"])
    assert late.status_code == 400 and late.json() == {"status": "ALREADY_COMPLETED"}
    gone = client.put(done["cancel_url"].replace(done["request_id"], "no-such-request"))
    assert gone.status_code == 404 and gone.json() == {"status": "NOT_FOUND"}


def test_storage_upload_token_then_file(client: httpx.Client, emu: EmulatorHandle) -> None:
    assert client.post("/fal/rest/storage/auth/token", json={}).status_code == 422  # storage_type missing
    token = client.post("/fal/rest/storage/auth/token", params={"storage_type": "fal-cdn-v3"}, json={}).json()
    assert set(token) == {"token", "token_type", "base_url", "expires_at"}
    data = b"RIFF" + bytes(range(256)) * 40
    headers = {"authorization": f"{token['token_type']} {token['token']}", "content-type": "audio/wav",
               "x-fal-file-name": "speech.wav"}
    uploaded = httpx.post(f"{token['base_url']}/files/upload", content=data, headers=headers)
    assert uploaded.status_code == 200
    assert httpx.get(uploaded.json()["access_url"]).content == data
    refused = httpx.post(f"{token['base_url']}/files/upload", content=data,
                         headers={**headers, "authorization": f"Key {KEY}"})
    assert refused.status_code == 401
    assert emu.stats()["endpoints"]["fal.upload"] == 2


def test_drop_after_commit_queues_the_request_but_loses_the_answer(client: httpx.Client,
                                                                    emu: EmulatorHandle) -> None:
    with pytest.raises(httpx.HTTPError):
        client.post(f"/fal/queue/{OMNI}", json={"image_url": IMAGE, "audio_url": AUDIO},
                    headers={"x-emulator-fault": "drop-after-commit"})
    counts = emu.stats()["models"][OMNI]
    assert counts["submit"] == 1 and counts["accepted"] == 1
