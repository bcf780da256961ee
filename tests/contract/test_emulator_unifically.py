"""The provider emulator speaks Unifically's Higgsfield contract: `{code, data}` envelopes,
speak/TTS/generate/ads tasks and their feed, templates with cursor paging, and balance."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle
from tests.contract.conftest import FakeClock

KEY = "uk-unifically-test-key-93be1d"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=10) as http:
        yield http


def voice_id(client: httpx.Client) -> str:
    voice: str = client.get("/higgsfield/tpl/voices", params={"size": 1}).json()["items"][0]["id"]
    return voice


def new_task(client: httpx.Client, path: str, body: dict[str, Any]) -> str:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    envelope = answer.json()
    assert envelope["code"] == 200
    assert envelope["data"]["error"] == {}
    task_id: str = envelope["data"]["task_id"]
    return task_id


def feed(client: httpx.Client, task_id: str) -> dict[str, Any]:
    answer = client.get(f"/higgsfield/feed/{task_id}")
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()["data"]
    return data


def error_message(answer: httpx.Response) -> str:
    body = answer.json()
    assert body["code"] == answer.status_code
    assert body["data"]["error"] == {}
    message: str = body["data"]["message"]
    return message


SPEAK = {"image_url": "https://example.com/face.jpg", "prompt": "A person speaking naturally"}


def test_tts_task_and_wav(client: httpx.Client, clock: FakeClock) -> None:
    text = "Hello and welcome to the emulator, this sentence has some length."
    task = new_task(client, "/higgsfield/tts", {"voice_id": voice_id(client), "prompt": text})
    assert feed(client, task)["status"] == "pending"
    clock.advance(2)
    assert feed(client, task)["status"] == "processing"
    clock.advance(7)
    data = feed(client, task)
    assert data["status"] == "completed"
    assert data["task_id"] == task
    assert data["error"] == {}
    audio = client.get(data["output"]["audio_url"])
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 16000)
        assert wav.getnframes() / wav.getframerate() == pytest.approx(0.06 * len(text), abs=0.02)
    with av.open(io.BytesIO(audio.content), mode="r") as container:
        assert sum(frame.samples for frame in container.decode(audio=0)) > 16000

    short = new_task(client, "/higgsfield/tts", {"voice_id": voice_id(client), "prompt": "Hi"})
    clock.advance(10)
    with wave.open(io.BytesIO(client.get(feed(client, short)["output"]["audio_url"]).content)) as wav:
        assert wav.getnframes() == 16000  # at least one second


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"voice_id": None}, "voice_id is required"),
        ({"voice_id": "no-such-voice"}, 'voice_id "no-such-voice" not found'),
        ({"prompt": None}, "prompt is required"),
        ({"similarity_boost": 101}, "similarity_boost must be a number between 0 and 100"),
        ({"speed": 1.3}, "speed must be a number between 0 and 1.2"),
        ({"stability": -1}, "stability must be a number between 0 and 100"),
        ({"style": "loud"}, "style must be a number between 0 and 100"),
        ({"sound_id": "nope"}, 'sound_id "nope" not found'),
    ],
)
def test_tts_validation(client: httpx.Client, changes: dict[str, Any], message: str) -> None:
    body = {"voice_id": voice_id(client), "prompt": "Hello", "sound_id": "", "speed": 1.2, **changes}
    answer = client.post("/higgsfield/tts", json={k: v for k, v in body.items() if v is not None})
    assert answer.status_code == 400
    assert error_message(answer).startswith(message)


def test_speak_with_audio_url_completes_with_mp4(client: httpx.Client, clock: FakeClock) -> None:
    task = new_task(client, "/higgsfield/speak", {**SPEAK, "audio_url": "https://example.com/a.wav", "seed": 7})
    clock.advance(181)
    data = feed(client, task)
    assert data["status"] == "completed"
    video = client.get(data["output"]["video_url"])
    assert video.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(video.content), mode="r") as container:
        assert {s.type for s in container.streams} == {"video", "audio"}
        assert sum(1 for _ in container.decode(video=0)) == 50  # 5 s at 10 fps


def test_speak_with_tts_task(client: httpx.Client, clock: FakeClock) -> None:
    tts = new_task(client, "/higgsfield/tts", {"voice_id": voice_id(client), "prompt": "x" * 120})
    pending = client.post("/higgsfield/speak", json={**SPEAK, "audio_task_id": tts})
    assert pending.status_code == 400
    assert error_message(pending) == "TTS job is not completed yet (status: pending)"
    clock.advance(3)
    processing = client.post("/higgsfield/speak", json={**SPEAK, "audio_task_id": tts})
    assert error_message(processing) == "TTS job is not completed yet (status: processing)"
    clock.advance(6)
    speak = new_task(client, "/higgsfield/speak", {**SPEAK, "audio_task_id": tts, "quality": "high"})

    not_tts = client.post("/higgsfield/speak", json={**SPEAK, "audio_task_id": speak})
    assert error_message(not_tts) == f"Task {speak} is not a TTS job. Please provide a valid TTS task ID."
    other_key = client.post(
        "/higgsfield/speak", json={**SPEAK, "audio_task_id": tts}, headers={"authorization": "Bearer someone-else"}
    )
    assert other_key.status_code == 400
    assert "not found" in error_message(other_key)

    clock.advance(181)
    video = client.get(feed(client, speak)["output"]["video_url"]).content
    with av.open(io.BytesIO(video), mode="r") as container:
        assert container.duration is not None
        assert container.duration / 1e6 == pytest.approx(8, abs=0.3)  # ceil(120 chars x 0.06 s)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                **SPEAK,
                "audio_url": "https://example.com/a.wav",
                "audio_task_id": "8e93f884-31d1-478d-92f6-ffc7ff1e868f",
            },
            "You must provide either audio_url or audio_task_id, but not both",
        ),
        (SPEAK, "You must provide either audio_url or audio_task_id"),
        (
            {**SPEAK, "audio_url": "https://example.com/a.wav", "quality": "ultra"},
            'quality must be either "high" or "basic"',
        ),
        ({"prompt": "p", "audio_url": "https://example.com/a.wav"}, "image_url is required"),
        ({"image_url": "https://example.com/face.jpg", "audio_url": "https://example.com/a.wav"}, "prompt is required"),
        ({**SPEAK, "audio_url": "file:///etc/passwd"}, "audio_url must be an http(s) URL"),
        (
            {**SPEAK, "audio_url": "https://example.com/a.wav", "enhance_prompt": "no"},
            "enhance_prompt must be a boolean",
        ),
        ({**SPEAK, "audio_url": "https://example.com/a.wav", "seed": -1}, "seed must be an integer"),
    ],
)
def test_speak_validation(client: httpx.Client, emu: EmulatorHandle, body: dict[str, Any], message: str) -> None:
    answer = client.post("/higgsfield/speak", json=body)
    assert answer.status_code == 400
    assert error_message(answer).startswith(message)
    assert emu.stats()["models"]["higgsfield-speak"]["accepted"] == 0
    assert client.get("/account").json()["data"]["balance_usd"] == 100.0


def test_generate_motion_models_and_prices(client: httpx.Client) -> None:
    motions = client.get("/higgsfield/tpl/motions").json()
    body = {"prompt": "Slow push in", "start_image_url": "https://example.com/p.png"}
    bad_format = client.post("/higgsfield/generate", json={**body, "motion_id": "dolly-in"})
    assert bad_format.status_code == 400
    assert "motion_id" in error_message(bad_format)
    unknown = client.post("/higgsfield/generate", json={**body, "motion_id": "00000000-0000-4000-8000-000000000000"})
    assert 'motion_id "00000000-0000-4000-8000-000000000000" is not a known motion' in error_message(unknown)
    bad_model = client.post("/higgsfield/generate", json={**body, "model": "ultra"})
    assert error_message(bad_model) == 'model must be one of "lite", "standard" or "turbo"'
    assert "start_image_url is required" in error_message(client.post("/higgsfield/generate", json={"prompt": "p"}))

    spent = []
    for model in ("lite", "standard", "turbo"):
        before = client.get("/account").json()["data"]["balance_usd"]
        new_task(
            client,
            "/higgsfield/generate",
            {**body, "model": model, "motion_id": motions[0]["id"], "end_image_url": "https://example.com/e.png"},
        )
        spent.append(round(before - client.get("/account").json()["data"]["balance_usd"], 6))
    lite, standard, turbo = spent
    assert (standard / lite, turbo / lite) == (pytest.approx(2.0), pytest.approx(1.4))


def test_ads_and_relative_costs(client: httpx.Client, clock: FakeClock) -> None:
    body = {
        "product_placement_sample_id": "sample-1",
        "image": ["https://example.com/product.png"],
        "size": "1024x1024",
    }
    task = new_task(client, "/higgsfield/ads", body)
    for bad, message in (
        ({**body, "image": []}, "image must be a non-empty list"),
        ({**body, "image": "https://example.com/p.png"}, "image must be a non-empty list"),
        ({**body, "image": ["nope"]}, "image[0] must be an http(s) URL"),
        ({**body, "size": "big"}, 'size must look like "1024x1024"'),
        ({"image": body["image"]}, "product_placement_sample_id is required"),
    ):
        assert error_message(client.post("/higgsfield/ads", json=bad)).startswith(message)
    clock.advance(91)
    assert feed(client, task)["output"]["video_url"].endswith(".mp4")
    new_task(client, "/higgsfield/speak", {**SPEAK, "audio_url": "https://example.com/a.wav"})
    jobs = client.get("/_emulator/stats").json()["jobs"]
    costs = {job["model"]: job["cost"] for job in jobs.values()}
    assert costs["higgsfield-speak"] / costs["higgsfield-ads"] == pytest.approx(10 / 2.6)
    assert client.get("/account").json() == {
        "success": True,
        "code": 200,
        "data": {
            "balance_usd": pytest.approx(100 - costs["higgsfield-speak"] - costs["higgsfield-ads"]),
            "currency": "USD",
        },
    }


def test_feed_unknown_task(client: httpx.Client) -> None:
    answer = client.get("/higgsfield/feed/00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 404
    assert answer.json()["code"] == 404
    assert "not found" in answer.json()["data"]["message"]


def test_auth_and_balance(emu: EmulatorHandle) -> None:
    with httpx.Client(base_url=emu.base_url) as http:
        for headers in ({}, {"authorization": KEY}, {"authorization": "Bearer"}, {"authorization": "Bearer bad-1"}):
            answer = http.get("/account", headers=headers)
            assert answer.status_code == 401
            assert answer.json()["code"] == 401
    emu.set_balance("unifically", KEY, 0.2)
    with httpx.Client(base_url=emu.base_url, headers={"authorization": f"Bearer {KEY}"}) as http:
        poor = http.post("/higgsfield/speak", json={**SPEAK, "audio_url": "https://example.com/a.wav"})
        assert poor.status_code == 402
        assert "Insufficient balance" in poor.json()["data"]["message"]
        assert http.get("/account").json()["data"]["balance_usd"] == 0.2


def test_rate_limit() -> None:
    with (
        run_in_thread(EmulatorConfig(unifically_rate_limit_per_min=1)) as emu,
        httpx.Client(base_url=emu.base_url, headers={"authorization": f"Bearer {KEY}"}) as http,
    ):
        assert http.get("/account").status_code == 200
        limited = http.get("/account")
        assert limited.status_code == 429
        assert limited.json()["code"] == 429
        assert "x-rate-limit-reset-at-utc" in limited.headers


def test_voice_paging_visits_every_voice_once(client: httpx.Client) -> None:
    seen: list[str] = []
    cursor: int | None = 0
    total = None
    pages = 0
    while cursor is not None:
        page = client.get("/higgsfield/tpl/voices", params={"size": 7, "cursor": cursor}).json()
        assert set(page) == {"items", "total", "cursor"}
        total = page["total"]
        seen += [voice["id"] for voice in page["items"]]
        cursor = page["cursor"]
        pages += 1
    assert total is not None
    assert total >= 30
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 7)
    default = client.get("/higgsfield/tpl/voices").json()
    assert len(default["items"]) == 30
    assert default["cursor"] == 30
    voice = default["items"][0]
    fields = {"id", "name", "gender", "age", "image_url", "categories", "voice_url", "waveform_url", "is_gpt"}
    assert fields <= set(voice)
    for url in (voice["image_url"], voice["voice_url"], voice["waveform_url"]):
        assert client.get(url).status_code == 200
    # Deterministic: a second listing gives the same ids in the same order.
    again = client.get("/higgsfield/tpl/voices", params={"size": 100}).json()["items"]
    assert [v["id"] for v in again] == seen


def test_template_search_and_limits(client: httpx.Client) -> None:
    everything = client.get("/higgsfield/tpl/voices", params={"size": 100}).json()["items"]
    name = everything[3]["name"]
    found = client.get("/higgsfield/tpl/voices", params={"search": name.upper()[:5]}).json()
    assert name in [v["name"] for v in found["items"]]
    assert all(name.upper()[:5] in v["name"].upper() for v in found["items"])
    assert found["total"] == len(found["items"])
    for params in ({"size": 101}, {"size": 0}, {"cursor": "abc"}, {"cursor": -1}):
        answer = client.get("/higgsfield/tpl/voices", params=params)
        assert answer.status_code == 400
        assert answer.json()["code"] == 400
    assert client.get("/higgsfield/tpl/nothing").status_code == 404


def test_presets_motions_sounds(client: httpx.Client) -> None:
    presets = client.get("/higgsfield/tpl/avatar-presets", params={"size": 100}).json()
    assert presets["total"] >= 20
    preset = presets["items"][0]
    assert set(preset["media"]) == {"url", "type", "width", "height", "thumbnail_url"}
    assert set(preset["params"]) == {"quality", "chunks_count"}
    image = client.get(preset["media"]["url"])
    assert image.headers["content-type"] == "image/png"
    with av.open(io.BytesIO(image.content), mode="r") as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (preset["media"]["width"], preset["media"]["height"])
    assert client.get(preset["media"]["thumbnail_url"]).status_code == 200

    motions = client.get("/higgsfield/tpl/motions", params={"size": 100}).json()
    assert isinstance(motions, list)
    assert len(motions) >= 25
    assert all(UUID.match(m["id"]) for m in motions)
    assert {"id", "name", "media", "priority", "tags", "categories"} <= set(motions[0])
    assert client.get(motions[0]["media"]["url"]).headers["content-type"] == "video/mp4"
    assert len(client.get("/higgsfield/tpl/motions", params={"size": 5, "cursor": 25}).json()) == len(motions) - 25

    sounds = client.get("/higgsfield/tpl/sounds", params={"size": 100}).json()
    assert sounds["total"] >= 12
    assert sounds["cursor"] is None
    sound = sounds["items"][0]
    assert {"id", "name", "description", "sound_url", "waveform_url"} <= set(sound)
    assert client.get(sound["sound_url"]).headers["content-type"] == "audio/wav"
    new_task(client, "/higgsfield/tts", {"voice_id": voice_id(client), "prompt": "Hi", "sound_id": sound["id"]})


def test_client_errors_can_come_with_http_200() -> None:
    config = EmulatorConfig(unifically_client_error_http=200)
    with (
        run_in_thread(config) as emu,
        httpx.Client(base_url=emu.base_url, headers={"authorization": f"Bearer {KEY}"}) as http,
    ):
        answer = http.post(
            "/higgsfield/speak", json={**SPEAK, "audio_url": "https://example.com/a.wav", "quality": "x"}
        )
        assert answer.status_code == 200
        assert answer.json() == {
            "code": 400,
            "data": {"message": 'quality must be either "high" or "basic"', "error": {}},
        }
