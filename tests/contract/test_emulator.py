"""The provider emulator speaks Segmind's contract: queue API, validation, auth, credits,
rate limits, expiry, uploads and real result files (served with byte ranges).

Most tests drive time with a fake clock, so a 5-minute job completes without waiting.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import av
import httpx
import pytest

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle
from tests.contract.conftest import FakeClock

KEY = "sk-segmind-test-key-5f1c9a77"
S2V = "/v2/higgsfield-speech2video"
HEYGEN = "/v2/heygen-avatar-iv"


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}, timeout=10) as http:
        yield http


def s2v_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input_image": "https://example.com/face.png",
        "input_audio": "https://example.com/speech.wav",
        "prompt": "A teacher explaining fractions",
        "quality": "high",
        "enhance_prompt": False,
        "seed": 42,
        "duration": 5,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def heygen_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"image_url": "https://example.com/face.png", "video_title": "Hello", "script": "Hi there."}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def probe(data: bytes) -> tuple[float, dict[str, str]]:
    """(duration in seconds, {stream type: codec}) of a media file, decoded with PyAV."""
    with av.open(io.BytesIO(data), mode="r") as container:
        codecs: dict[str, str] = {str(stream.type): stream.codec_context.name for stream in container.streams}
        frames = sum(1 for _ in container.decode(container.streams[0]))
        assert frames > 0
        assert container.duration is not None
        return container.duration / 1_000_000, codecs


# --------------------------------------------------------------------------- happy paths
def test_speech2video_queue_lifecycle_and_mp4(client: httpx.Client, emu: EmulatorHandle, clock: FakeClock) -> None:
    submitted = client.post(S2V, json=s2v_body(duration=10, unknown_field="ignored"))
    assert submitted.status_code == 200
    body = submitted.json()
    rid = body["request_id"]
    assert body["status"] == "QUEUED"
    assert body["status_url"] == f"{emu.base_url}/v2/requests/{rid}/status" == body["poll_url"]
    assert body["response_url"] == f"{emu.base_url}/v2/requests/{rid}"
    assert submitted.headers["x-request-id"] == rid
    assert float(submitted.headers["x-remaining-credits"]) == pytest.approx(100 - 2.86)

    assert client.get(body["status_url"]).json()["status"] == "QUEUED"
    assert client.get(body["response_url"]).json() == {"request_id": rid, "status": "QUEUED", "error": None}
    clock.advance(31)  # past the first 10 % of ~306 s
    assert client.get(body["status_url"]).json()["status"] == "PROCESSING"
    clock.advance(280)
    done = client.get(body["status_url"])
    assert done.status_code == 200
    assert done.json()["status"] == "COMPLETED"
    assert done.json()["metrics"]["inference_time"] > 0

    result = client.get(body["response_url"]).json()
    assert result["status"] == "COMPLETED"
    assert result["error"] is None
    assert result["metrics"]["cost"] == pytest.approx(2.86)
    assert result["metrics"]["remaining_credits"] == pytest.approx(97.14)
    assert result["output"].startswith(f"{emu.base_url}/files/")

    video = client.get(result["output"])
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert int(video.headers["content-length"]) == len(video.content)
    duration, codecs = probe(video.content)
    assert codecs == {"video": "h264", "audio": "aac"}
    assert duration == pytest.approx(10, abs=0.3)

    credits = client.get("/v1/get-user-credits")
    assert credits.json() == {"credits": pytest.approx(97.14), "free-credits": 0.0}


def test_real_speed_scaling() -> None:
    """Without a fake clock, speed divides the ~195 s HeyGen run."""
    with (
        run_in_thread(EmulatorConfig(speed=2000)) as emu,
        httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}) as http,
    ):
        status_url = http.post(HEYGEN, json=heygen_body()).json()["status_url"]
        deadline = time.monotonic() + 3
        seen = set()
        while time.monotonic() < deadline:
            state = http.get(status_url).json()["status"]
            seen.add(state)
            if state == "COMPLETED":
                break
            time.sleep(0.01)
        assert "COMPLETED" in seen
        assert seen <= {"QUEUED", "PROCESSING", "COMPLETED"}


def test_heygen_price_and_rules(client: httpx.Client, clock: FakeClock) -> None:
    ok = client.post(HEYGEN, json=heygen_body(audio_url="https://example.com/a.wav", resolution="720p"))
    assert ok.status_code == 200
    assert float(ok.headers["x-remaining-credits"]) == pytest.approx(100 - 2.216)

    neither = client.post(HEYGEN, json=heygen_body(script=None))
    assert neither.status_code == 400
    assert "script or audio_url" in neither.json()["error"]

    bad_voice = client.post(HEYGEN, json=heygen_body(voice_id="Rex - Broadcaster"))
    assert bad_voice.status_code == 400
    assert "voice_id" in bad_voice.json()["error"]
    assert client.post(HEYGEN, json=heygen_body(voice_id="26b2064088674c80b1e5fc5ab1a068ea")).status_code == 200

    wrong = {
        "video_orientation": heygen_body(video_orientation="square"),
        "fit": heygen_body(fit="stretch"),
        "video_title": heygen_body(video_title=None),
        "image_url": heygen_body(image_url="not a url"),
    }
    for field, body in wrong.items():
        answer = client.post(HEYGEN, json=body)
        assert answer.status_code == 400
        assert field in answer.json()["error"]

    clock.advance(200)
    result = client.get(f"/v2/requests/{ok.json()['request_id']}").json()
    duration, _ = probe(client.get(result["output"]).content)
    assert duration == pytest.approx(5, abs=0.3)


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"seed": 0}, "seed", "1 and 1000000"),
        ({"seed": 1_000_001}, "seed", "1 and 1000000"),
        ({"duration": 7}, "duration", "5, 10, 15"),
        ({"duration": "10"}, "duration", "5, 10, 15"),
        ({"quality": "ultra"}, "quality", "high, mid"),
        ({"input_image": None}, "input_image", "required"),
        ({"input_audio": None}, "input_audio", "required"),
        ({"prompt": None}, "prompt", "required"),
        ({"input_image": "ftp://example.com/a.png"}, "input_image", "http(s) URL"),
        ({"enhance_prompt": "yes"}, "enhance_prompt", "boolean"),
    ],
)
def test_speech2video_validation(
    client: httpx.Client, emu: EmulatorHandle, changes: dict[str, Any], field: str, allowed: str
) -> None:
    answer = client.post(S2V, json=s2v_body(**changes))
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert field in message
    assert allowed in message
    stats = emu.stats()
    assert stats["models"]["higgsfield-speech2video"] == {
        "submit": 1,
        "accepted": 0,
        "rejected": 1,
        "status": 0,
        "result": 0,
    }
    assert stats["jobs"] == {}
    assert client.get("/v1/get-user-credits").json()["credits"] == 100.0


def test_request_format_errors(client: httpx.Client) -> None:
    unknown = client.post("/v2/no-such-model", json=s2v_body())
    assert unknown.status_code == 404
    assert "no-such-model" in unknown.json()["error"]
    not_json = client.post(S2V, content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert "JSON" in not_json.json()["error"]
    no_type = client.post(S2V, content=json.dumps(s2v_body()).encode(), headers={"content-type": ""})
    assert no_type.status_code == 406
    assert client.get(S2V).status_code == 405
    assert client.get("/v2/requests/unknown-id/status").json() == {"error": "Request unknown-id not found"}


def test_auth(emu: EmulatorHandle) -> None:
    with httpx.Client(base_url=emu.base_url) as http:
        for headers in ({}, {"x-api-key": ""}, {"x-api-key": "bad-key"}):
            answer = http.post(S2V, json=s2v_body(), headers=headers)
            assert answer.status_code == 401
            assert isinstance(answer.json()["error"], str)
            assert http.get("/v1/get-user-credits", headers=headers).status_code == 401
    assert emu.stats()["jobs"] == {}
    with (
        run_in_thread(EmulatorConfig(valid_keys={"only-this"})) as strict,
        httpx.Client(base_url=strict.base_url) as http,
    ):
        assert http.get("/v1/get-user-credits", headers={"x-api-key": KEY}).status_code == 401
        assert http.get("/v1/get-user-credits", headers={"x-api-key": "only-this"}).status_code == 200


def test_jobs_belong_to_their_key(client: httpx.Client, emu: EmulatorHandle) -> None:
    rid = client.post(S2V, json=s2v_body()).json()["request_id"]
    other = client.get(f"/v2/requests/{rid}/status", headers={"x-api-key": "someone-else"})
    assert other.status_code == 404


def test_insufficient_credits() -> None:
    with (
        run_in_thread(EmulatorConfig(segmind_credits=1.0)) as emu,
        httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}) as http,
    ):
        denied = http.post(S2V, json=s2v_body(quality="high", duration=10))
        assert denied.status_code == 406
        assert denied.json()["error"].startswith("Insufficient credits")
        assert http.post(S2V, json=s2v_body(quality="mid", duration=5)).status_code == 200
        assert http.get("/v1/get-user-credits").json()["credits"] == pytest.approx(0.14)
        assert http.post(S2V, json=s2v_body(quality="mid", duration=5)).status_code == 406
        models = emu.stats()["models"]["higgsfield-speech2video"]
        assert (models["submit"], models["accepted"], models["rejected"]) == (3, 1, 2)


def test_rate_limit() -> None:
    clock = FakeClock()
    config = EmulatorConfig(segmind_rate_limit_per_min=2, clock=clock)
    with run_in_thread(config) as emu, httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}) as http:
        assert http.get("/v1/get-user-credits").status_code == 200
        clock.advance(10)
        assert http.get("/v1/get-user-credits").status_code == 200
        limited = http.get("/v1/get-user-credits")
        assert limited.status_code == 429
        assert limited.json() == {"error": "Rate limit exceeded"}
        assert "retry-after" not in limited.headers
        reset_at = datetime.fromisoformat(limited.headers["x-rate-limit-reset-at-utc"])
        assert reset_at.tzinfo is not None
        assert 40 < (reset_at - datetime.now(UTC)).total_seconds() <= 51
        # Another key has its own window; the window slides in real (unscaled) seconds.
        assert http.get("/v1/get-user-credits", headers={"x-api-key": "other"}).status_code == 200
        clock.advance(50)
        assert http.get("/v1/get-user-credits").status_code == 200
        assert http.get("/v1/get-user-credits").status_code == 429


def test_record_and_file_expiry(client: httpx.Client, clock: FakeClock) -> None:
    rid = client.post(S2V, json=s2v_body()).json()["request_id"]
    clock.advance(400)
    output = client.get(f"/v2/requests/{rid}").json()["output"]
    clock.advance(3600)
    for path in (f"/v2/requests/{rid}/status", f"/v2/requests/{rid}"):
        gone = client.get(path)
        assert gone.status_code == 404
        assert gone.json() == {"error": f"Request {rid} not found"}
    assert client.get(output).status_code == 200  # the file outlives the record
    clock.advance(7 * 86400)
    assert client.get(output).status_code == 404


def test_expiry_scales_with_speed() -> None:
    with (
        run_in_thread(EmulatorConfig(speed=20_000)) as emu,
        httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}) as http,
    ):
        status_url = http.post(S2V, json=s2v_body()).json()["status_url"]
        time.sleep(3600 / 20_000 + 0.05)
        assert http.get(status_url).status_code == 404


def test_upload_asset(client: httpx.Client) -> None:
    wav = b"RIFF" + bytes(range(200))
    png = b"\x89PNG\r\n\x1a\n" + bytes(50)
    data_urls = [
        "data:audio/wav;base64," + base64.b64encode(wav).decode(),
        "data:image/png;name=face.png;base64," + base64.b64encode(png).decode(),
    ]
    answer = client.post("/upload-asset", json={"data_urls": data_urls})
    assert answer.status_code == 200
    urls = answer.json()["urls"]
    assert len(urls) == 2
    first, second = (httpx.get(url) for url in urls)
    assert (first.content, first.headers["content-type"]) == (wav, "audio/wav")
    assert (second.content, second.headers["content-type"]) == (png, "image/png")

    for bad in (["not-a-data-url"], ["data:audio/wav;base64,@@@"], ["data:audio/wav,plain"], [], "x"):
        rejected = client.post("/upload-asset", json={"data_urls": bad})
        assert rejected.status_code == 400
        assert "data_urls" in rejected.json()["error"]


def test_upload_response_key_variant() -> None:
    with (
        run_in_thread(EmulatorConfig(upload_response_key="file_urls")) as emu,
        httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}) as http,
    ):
        body = http.post("/upload-asset", json={"data_urls": ["data:text/plain;base64,aGk="]}).json()
        assert list(body) == ["file_urls"]
        assert httpx.get(body["file_urls"][0]).content == b"hi"


def test_range_requests(client: httpx.Client, clock: FakeClock) -> None:
    rid = client.post(S2V, json=s2v_body()).json()["request_id"]
    clock.advance(400)
    url = client.get(f"/v2/requests/{rid}").json()["output"]
    whole = httpx.get(url).content
    part = httpx.get(url, headers={"range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.headers["content-length"] == "100"
    assert part.headers["content-range"] == f"bytes 10-109/{len(whole)}"
    assert part.content == whole[10:110]
    tail = httpx.get(url, headers={"range": "bytes=-64"})
    assert (tail.status_code, tail.content) == (206, whole[-64:])
    rest = httpx.get(url, headers={"range": f"bytes={len(whole) - 5}-"})
    assert rest.content == whole[-5:]
    beyond = httpx.get(url, headers={"range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(whole)}"
    head = httpx.head(url)
    assert (head.status_code, head.headers["content-length"], head.content) == (200, str(len(whole)), b"")


def test_stats_log_and_no_key_leak(client: httpx.Client, emu: EmulatorHandle, clock: FakeClock) -> None:
    rid = client.post(S2V, json=s2v_body(), headers={"x-client-id": "replica-a"}).json()["request_id"]
    client.post(S2V, json=s2v_body(seed=0))
    client.get(f"/v2/requests/{rid}/status")
    clock.advance(400)
    client.get(f"/v2/requests/{rid}/status")
    output = client.get(f"/v2/requests/{rid}").json()["output"]
    httpx.get(output)

    stats = httpx.get(f"{emu.base_url}/_emulator/stats").json()
    assert stats == emu.stats()
    assert stats["endpoints"]["segmind.submit"] == 2
    assert stats["endpoints"]["segmind.status"] == 2
    assert stats["endpoints"]["files"] == 1
    assert stats["rejected"]["segmind.submit"] == 1
    assert stats["models"]["higgsfield-speech2video"] == {
        "submit": 2,
        "accepted": 1,
        "rejected": 1,
        "status": 2,
        "result": 1,
    }
    job = stats["jobs"][rid]
    assert (job["endpoint"], job["model"], job["status"], job["polls"]) == (
        "segmind.submit",
        "higgsfield-speech2video",
        "COMPLETED",
        3,
    )
    datetime.fromisoformat(job["created_at"])
    assert job["sent"] == sorted(s2v_body())  # lets client tests check what was sent explicitly
    assert (job["input"]["seed"], job["input"]["enhance_prompt"]) == (42, False)

    log = httpx.get(f"{emu.base_url}/_emulator/requests").json()
    assert [entry["endpoint"] for entry in log] == [
        "segmind.submit",
        "segmind.submit",
        "segmind.status",
        "segmind.status",
        "segmind.result",
        "files",
    ]
    assert log[0]["client"] == "replica-a"
    assert log[0]["id"] == rid
    assert [entry["status_code"] for entry in log[:2]] == [200, 400]
    assert {"t", "method", "path", "endpoint", "id", "status_code", "fault", "client"} <= set(log[0])

    dumped = json.dumps(stats) + json.dumps(log) + json.dumps(emu.requests())
    assert KEY not in dumped
    assert KEY[:12] not in dumped

    httpx.post(f"{emu.base_url}/_emulator/reset")
    assert emu.stats()["endpoints"]["segmind.submit"] == 0
    assert emu.requests() == []
    assert client.get(f"/v2/requests/{rid}/status").status_code == 404


def test_result_output_shapes() -> None:
    """The video result's `output` shape is undocumented; each plausible one can be served."""
    clock = FakeClock()
    seen = {}
    for shape in ("url", "json", "object", "list"):
        config = EmulatorConfig(speed=1.0, clock=clock, segmind_output_shape=shape)
        with run_in_thread(config) as emu, httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}) as http:
            response_url = http.post(S2V, json=s2v_body()).json()["response_url"]
            clock.advance(400)
            seen[shape] = http.get(response_url).json()["output"]
    url = seen["url"]
    assert isinstance(url, str)
    assert url.startswith("http://127.0.0.1:")
    assert json.loads(seen["json"])["video_url"].endswith(".mp4")
    assert seen["object"]["video_url"].endswith(".mp4")
    assert isinstance(seen["list"], list)
    assert seen["list"][0].endswith(".mp4")
    with pytest.raises(ValueError):
        EmulatorConfig(segmind_output_shape="xml")
