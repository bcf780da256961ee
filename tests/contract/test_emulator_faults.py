"""Fault injection: every fault kind, by header and by armed rule, and what each leaves behind
(was the job created? was it charged?) — the facts a client's retry policy depends on."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest

from talking_video_mcp.emulator import EmulatorConfig, FaultError, FaultRule, parse_faults, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle
from tests.contract.conftest import FakeClock

KEY = "sk-fault-test-key-77aa01"
S2V = "/v2/higgsfield-speech2video"
BODY = {
    "input_image": "https://example.com/face.png",
    "input_audio": "https://example.com/speech.wav",
    "prompt": "Talk",
    "duration": 5,
    "quality": "mid",
}
SPEAK = {"image_url": "https://example.com/f.jpg", "audio_url": "https://example.com/a.wav", "prompt": "Talk"}


EMULATOR_OPTIONS = {"timeout_delay_s": 5.0, "fault_retry_after_s": 2.0}


@pytest.fixture
def seg(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers={"x-api-key": KEY}, timeout=10) as http:
        yield http


@pytest.fixture
def uni(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=10) as http:
        yield http


def fault(name: str) -> dict[str, str]:
    return {"x-emulator-fault": name}


def credits(seg: httpx.Client) -> float:
    value: float = seg.get("/v1/get-user-credits").json()["credits"]
    return value


def submits(emu: EmulatorHandle) -> dict[str, Any]:
    counts: dict[str, Any] = emu.stats()["models"]["higgsfield-speech2video"]
    return counts


# --------------------------------------------------------------------------- parsing
def test_parse_rules() -> None:
    assert FaultRule.parse("segmind.status:429x2") == FaultRule("segmind.status", "429", 2)
    assert FaultRule.parse("files:truncated") == FaultRule("files", "truncated", 1)
    assert FaultRule.parse("unifically.feed:code400-processingx*") == FaultRule(
        "unifically.feed", "code400-processing", None
    )
    assert FaultRule.parse("segmind.status:expire").fault == "expire"  # the x in "expire" is no count
    assert FaultRule.parse("segmind.*:500x3").targets() == [
        "segmind.submit",
        "segmind.status",
        "segmind.result",
        "segmind.credits",
        "segmind.upload",
    ]
    assert parse_faults("segmind.submit:timeout, files:notfoundx2") == [
        FaultRule("segmind.submit", "timeout", 1),
        FaultRule("files", "notfound", 2),
    ]
    for bad in ("segmind.status", "nowhere:500", "segmind.status:explode", "files:code400-processing", "files:fail"):
        with pytest.raises(FaultError):
            FaultRule.parse(bad)


def test_armed_rules_are_consumed(emu: EmulatorHandle, seg: httpx.Client) -> None:
    status_url = seg.post(S2V, json=BODY).json()["status_url"]
    emu.add_fault(FaultRule(endpoint="segmind.status", fault="429", times=2))
    emu.add_fault("segmind.credits:500")
    assert [seg.get(status_url).status_code for _ in range(3)] == [429, 429, 200]
    assert [seg.get("/v1/get-user-credits").status_code for _ in range(2)] == [500, 200]
    stats = emu.stats()
    assert stats["faults_fired"] == {"segmind.status": {"429": 2}, "segmind.credits": {"500": 1}}
    assert stats["faults_armed"] == []
    log = emu.requests()
    assert [entry["fault"] for entry in log if entry["endpoint"] == "segmind.status"] == ["429", "429", None]


def test_rules_over_http_and_from_config(emu: EmulatorHandle, seg: httpx.Client) -> None:
    armed = httpx.post(f"{emu.base_url}/_emulator/faults", json={"endpoint": "segmind.credits", "fault": "502"})
    assert armed.json()["armed"] == [{"endpoint": "segmind.credits", "fault": "502", "times": 1, "remaining": 1}]
    httpx.post(f"{emu.base_url}/_emulator/faults", json={"spec": "segmind.credits:504x*"})
    assert seg.get("/v1/get-user-credits").status_code == 502
    assert [seg.get("/v1/get-user-credits").status_code for _ in range(3)] == [504, 504, 504]
    httpx.delete(f"{emu.base_url}/_emulator/faults")
    assert seg.get("/v1/get-user-credits").status_code == 200
    rejected = httpx.post(f"{emu.base_url}/_emulator/faults", json={"endpoint": "files", "fault": "fail"})
    assert rejected.status_code == 400

    config = EmulatorConfig(faults=parse_faults("segmind.credits:500"))
    with run_in_thread(config) as other, httpx.Client(base_url=other.base_url, headers={"x-api-key": KEY}) as http:
        assert [http.get("/v1/get-user-credits").status_code for _ in range(2)] == [500, 200]


def test_bad_fault_header(seg: httpx.Client, emu: EmulatorHandle) -> None:
    unknown = seg.post(S2V, json=BODY, headers=fault("meteor"))
    assert unknown.status_code == 400
    assert "unknown fault" in unknown.json()["error"]
    wrong_place = seg.get("/v1/get-user-credits", headers=fault("code400-processing"))
    assert wrong_place.status_code == 400
    assert emu.stats()["jobs"] == {}


# --------------------------------------------------------------------------- kinds
def test_429_500_502_504(seg: httpx.Client, uni: httpx.Client, emu: EmulatorHandle) -> None:
    limited = seg.post(S2V, json=BODY, headers=fault("429"))
    assert limited.status_code == 429
    assert limited.json() == {"error": "Rate limit exceeded"}
    assert "x-rate-limit-reset-at-utc" in limited.headers
    assert "retry-after" not in limited.headers
    server_error = seg.post(S2V, json=BODY, headers=fault("500"))
    assert (server_error.status_code, server_error.json()) == (500, {"error": "Internal server error"})
    for status in (502, 504):
        gateway = seg.post(S2V, json=BODY, headers=fault(str(status)))
        assert gateway.status_code == status
        assert gateway.headers["content-type"].startswith("text/html")
    uni_limited = uni.get("/account", headers=fault("429"))
    assert uni_limited.status_code == 429
    assert uni_limited.json()["code"] == 429
    assert submits(emu)["accepted"] == 0
    assert emu.stats()["jobs"] == {}
    assert credits(seg) == 100.0


def test_timeout_creates_and_charges(emu: EmulatorHandle, seg: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        seg.post(S2V, json=BODY, headers=fault("timeout"), timeout=0.3)
    assert submits(emu)["accepted"] == 1
    assert credits(seg) == pytest.approx(100 - 0.86)
    assert len(emu.stats()["jobs"]) == 1


def test_drop_after_commit_creates_and_charges(emu: EmulatorHandle, seg: httpx.Client, uni: httpx.Client) -> None:
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        seg.post(S2V, json=BODY, headers=fault("drop-after-commit"))
    assert submits(emu)["accepted"] == 1
    assert credits(seg) == pytest.approx(100 - 0.86)
    emu.add_fault("unifically.speak:drop-after-commit")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        uni.post("/higgsfield/speak", json=SPEAK)
    assert emu.stats()["models"]["higgsfield-speak"]["accepted"] == 1
    assert seg.get("/v1/get-user-credits").status_code == 200  # the client recovers on a new connection


def test_reset_creates_nothing(emu: EmulatorHandle, seg: httpx.Client) -> None:
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        seg.post(S2V, json=BODY, headers=fault("reset"))
    assert submits(emu) == {"submit": 1, "accepted": 0, "rejected": 0, "status": 0, "result": 0}
    assert credits(seg) == 100.0
    assert emu.requests()[0]["status_code"] is None


def test_malformed_and_missing_fields(emu: EmulatorHandle, seg: httpx.Client, uni: httpx.Client) -> None:
    malformed = seg.post(S2V, json=BODY, headers=fault("malformed"))
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    missing = seg.post(S2V, json=BODY, headers=fault("missing-fields"))
    assert missing.status_code == 200
    assert "request_id" not in missing.json()
    assert "status_url" not in missing.json()
    assert submits(emu)["accepted"] == 2  # both were created: the provider answered 200

    task = uni.post("/higgsfield/speak", json=SPEAK, headers=fault("missing-fields")).json()
    assert task["code"] == 200
    assert "task_id" not in task["data"]
    real_task = uni.post("/higgsfield/speak", json=SPEAK).json()["data"]["task_id"]
    polled = uni.get(f"/higgsfield/feed/{real_task}", headers=fault("missing-fields")).json()
    assert "status" not in polled["data"]
    assert uni.get("/higgsfield/tpl/motions", headers=fault("malformed")).status_code == 200


def test_fail_on_submit_and_on_poll(emu: EmulatorHandle, seg: httpx.Client, clock: FakeClock) -> None:
    doomed = seg.post(S2V, json=BODY, headers=fault("fail")).json()
    assert doomed["status"] == "QUEUED"
    clock.advance(400)
    failed = seg.get(doomed["status_url"])
    assert failed.status_code == 422
    assert failed.json()["status"] == "FAILED"
    assert "safety" in failed.json()["error"]
    assert seg.get(doomed["response_url"]).status_code == 422

    running = seg.post(S2V, json=BODY).json()
    first = seg.get(running["status_url"], headers=fault("fail"))
    assert (first.status_code, first.json()["status"]) == (422, "FAILED")
    clock.advance(400)
    assert seg.get(running["status_url"]).status_code == 422  # stays failed
    assert emu.stats()["jobs"][running["request_id"]]["status"] == "FAILED"


def test_unifically_fail_and_code400_processing(emu: EmulatorHandle, uni: httpx.Client, clock: FakeClock) -> None:
    task = uni.post("/higgsfield/speak", json=SPEAK).json()["data"]["task_id"]
    clock.advance(30)
    odd = uni.get(f"/higgsfield/feed/{task}", headers=fault("code400-processing"))
    assert odd.json()["code"] == 400
    assert odd.json()["data"]["status"] == "processing"
    failed = uni.get(f"/higgsfield/feed/{task}", headers=fault("fail")).json()["data"]
    assert failed["status"] == "failed"
    assert failed["error"]["message"]
    assert failed["output"] == {}


def test_expire(emu: EmulatorHandle, seg: httpx.Client, uni: httpx.Client) -> None:
    rid = seg.post(S2V, json=BODY).json()["request_id"]
    gone = seg.get(f"/v2/requests/{rid}/status", headers=fault("expire"))
    assert (gone.status_code, gone.json()) == (404, {"error": f"Request {rid} not found"})
    assert seg.get(f"/v2/requests/{rid}").status_code == 404
    task = uni.post("/higgsfield/speak", json=SPEAK).json()["data"]["task_id"]
    emu.add_fault("unifically.feed:expire")
    assert uni.get(f"/higgsfield/feed/{task}").status_code == 404
    assert uni.get(f"/higgsfield/feed/{task}").status_code == 404


def test_file_faults(emu: EmulatorHandle, seg: httpx.Client, clock: FakeClock) -> None:
    rid = seg.post(S2V, json=BODY).json()["request_id"]
    clock.advance(400)
    url = seg.get(f"/v2/requests/{rid}").json()["output"]
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url, headers=fault("truncated"))
    missing = httpx.get(url, headers=fault("notfound"))
    assert missing.status_code == 404
    emu.add_fault("files:reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(url)
    whole = httpx.get(url).content
    with av.open(io.BytesIO(whole), mode="r") as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert emu.stats()["faults_fired"]["files"] == {"truncated": 1, "notfound": 1, "reset": 1}
