"""Crash safety: the HTTP server is SIGKILLed at chosen points of its jobs' lives (right after they
are made, while a paid submit is in flight, just after it, while polling, while downloading, at a
random moment) twenty times in a row, each new process picking up the last one's jobs. In the end
every job is final (completed, or `submit_unknown` where the kill hit a paid submit), no job was
submitted twice, every video decodes and no half-written download is left."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talking_video_mcp.emulator import EmulatorConfig, create_app
from talking_video_mcp.emulator.runner import EmulatorHandle
from talking_video_mcp.jobs.store import JobStore
from talking_video_mcp.media.video import probe_video
from talking_video_mcp.models import FINAL_STATUSES
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, env_for, make_settings
from tests.helpers import png_bytes, structured, upload
from tests.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SPEED = 50.0  # HeyGen: 3.9 s per job, Higgsfield image→video: 1.2 s; records live 72 s
RUNS = 20
JOBS_PER_RUN = 2
PHASES = ("made", "in_submit", "after_submit", "polling", "downloading", "random")


# --------------------------------------------------------------------------- a server process


# --------------------------------------------------------------------------- an emulator with slow edges


class SlowEdges:
    """ASGI wrapper around the emulator: result files trickle out and paid submits are answered late,
    so that a kill can land while a download is half written or a submit is in flight."""

    def __init__(self, app: ASGIApp, *, chunk: int = 8192, pause_s: float = 0.02, submit_delay_s: float = 0.15):
        self.app = app
        self.chunk = chunk
        self.pause_s = pause_s
        self.submit_delay_s = submit_delay_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path.startswith("/files/outputs/"):

            async def trickle(message: Message) -> None:
                body = message.get("body", b"")
                if message["type"] != "http.response.body" or not body:
                    await send(message)
                    return
                for start in range(0, len(body), self.chunk):
                    await send({"type": "http.response.body", "body": body[start:start + self.chunk],
                                "more_body": True})
                    await anyio.sleep(self.pause_s)
                await send({"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)})

            await self.app(scope, receive, trickle)
        elif method == "POST" and path.startswith(("/v2/", "/higgsfield/")):

            async def late(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await anyio.sleep(self.submit_delay_s)  # accepted and charged, answer still on its way
                await send(message)

            await self.app(scope, receive, late)
        else:
            await self.app(scope, receive, send)


@contextlib.contextmanager
def slow_emulator(config: EmulatorConfig) -> Iterator[EmulatorHandle]:
    app = create_app(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(SlowEdges(app), http="h11", lifespan="off", log_level="warning",
                                           access_log=False, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the emulator did not start"
        time.sleep(0.01)
    try:
        yield EmulatorHandle(app, "127.0.0.1", sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# --------------------------------------------------------------------------- the ledger, read from outside


def ledger(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM jobs")]
    for row in rows:
        row["state"] = json.loads(row["state"] or "{}")
        row["request"] = json.loads(row["request"] or "{}")
    return rows


def title_of(row: dict[str, Any]) -> str:
    payload = row["request"]["payload"]
    return str(payload.get("video_title") or payload["prompt"])


def reached(phase: str, rows: list[dict[str, Any]], videos: Path) -> bool:
    active = [r for r in rows if r["status"] in ("queued", "processing")]
    if phase == "in_submit":
        return any(r["pending_submit"] for r in active)
    if any(r["pending_submit"] for r in active):
        return False  # aim past the submits: they have their own phase
    if phase == "after_submit":
        return any(r["step"] == "poll" and r["polls"] == 0 for r in active)
    if phase == "polling":
        return any(r["step"] == "poll" and r["polls"] > 0 for r in active)
    if phase == "downloading":
        return any(videos.glob(".*.part"))
    raise ValueError(phase)


async def submit_jobs(url: str, image: str, run: int) -> None:
    from mcp import Client

    async with Client(url) as client:
        for n in range(JOBS_PER_RUN):
            title = f"crash run {run} job {n}"
            if (run + n) % 2:
                args = {"image": image, "prompt": title, "model": "lite"}
                structured(await client.call_tool("generate_video_from_image", args))
            else:
                args = {"model": "segmind/heygen-avatar-iv", "image": image, "script": "Still here.",
                        "options": {"video_title": title}}
                structured(await client.call_tool("generate_talking_video", args))


async def test_sigkill_at_every_point_of_a_job_loses_nothing_and_pays_once(home: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    logs: list[Path] = []
    hits: Counter[str] = Counter()
    with slow_emulator(EmulatorConfig(speed=SPEED)) as emu:
        settings = make_settings(home, tmp_path, emu.base_url, TALKING_VIDEO_TIME_SCALE=SPEED,
                                 TALKING_VIDEO_DAILY_BUDGET_USD=1000)
        env = env_for(settings)
        image = upload(emu.base_url, png_bytes(), "image/png")
        videos = settings.videos_dir
        for run in range(RUNS):
            logs.append(tmp_path / f"server-{run}.log")
            server = ServerProcess(env, logs[-1])
            try:
                await submit_jobs(server.url, image, run)
                phase = PHASES[run % len(PHASES)]
                deadline = time.monotonic() + (rng.uniform(0, 1.5) if phase in ("made", "random") else 6.0)
                while time.monotonic() < deadline:
                    if phase not in ("made", "random") and reached(phase, ledger(settings.ledger_path), videos):
                        hits[phase] += 1
                        break
                    await anyio.sleep(0.002)
            finally:
                server.kill()
        # A last process finishes what is left.
        logs.append(tmp_path / "server-final.log")
        server = ServerProcess(env, logs[-1])
        try:
            deadline = time.monotonic() + 60
            while any(r["status"] not in FINAL_STATUSES for r in ledger(settings.ledger_path)):
                assert time.monotonic() < deadline, [(r["id"], r["status"], r["step"])
                                                     for r in ledger(settings.ledger_path)]
                await anyio.sleep(0.1)
        finally:
            server.stop()
        stats = emu.stats()
        requests = emu.requests()

    rows = ledger(settings.ledger_path)
    assert len(rows) == RUNS * JOBS_PER_RUN
    statuses = Counter(r["status"] for r in rows)
    assert set(statuses) <= {"completed", "submit_unknown"}, [(r["status"], r["error"]) for r in rows
                                                              if r["status"] not in ("completed", "submit_unknown")]
    assert statuses["completed"] >= len(rows) // 3, statuses
    # The kills landed where they were aimed (each of these phases at least once).
    assert hits["after_submit"] and hits["polling"] and hits["downloading"], hits

    # No job was submitted twice: every emulator job carries the title of exactly one ledger job.
    titles = Counter(str(job["input"].get("video_title") or job["input"].get("prompt"))
                     for job in stats["jobs"].values())
    assert max(titles.values()) == 1, titles.most_common(3)
    assert set(titles) <= {title_of(r) for r in rows}
    submits = sum(counts["submit"] for counts in stats["models"].values())
    assert submits == len(stats["jobs"]), "a submit POST was answered without making a job"
    for row in rows:
        provider_id = row["state"].get("request_id") or row["state"].get("task_id")
        if provider_id:
            assert stats["jobs"][provider_id]["input"].get("video_title", title_of(row)) == title_of(row)
        if row["status"] == "completed":
            assert provider_id, row
            info = probe_video(Path(row["video_path"]), decode_all=True)
            assert info.frames > 0
    assert not list(videos.glob("*.part")) and not list(videos.glob(".*.part")), "half-written downloads remain"
    assert {r["status_code"] for r in requests if r["endpoint"] == "files"} <= {200, 206, None}

    # Secrets: nothing the processes wrote (logs, ledger, home) holds the keys.
    texts = [p.read_bytes().decode("latin-1") for p in logs]
    texts += [p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file()]
    texts.append(json.dumps(stats))
    for key in (FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY):
        assert not any(key in t or key[:12] in t for t in texts)


class _Crash(BaseException):
    """Stands for SIGKILL inside one process: nothing after it runs, not even except-blocks."""


async def test_a_crash_between_the_submit_answer_and_its_record_never_resubmits(
    emulator: EmulatorHandle, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider accepted the submit, and the process dies before the request id is written: on
    restart the job is `submit_unknown` (it was in flight), never submitted a second time."""
    from talking_video_mcp.domain.requests import SubmitOptions, TalkingVideoArgs
    from talking_video_mcp.runtime import app_state
    from talking_video_mcp.tools import video

    settings = make_settings(home, tmp_path, emulator.base_url)
    image = upload(emulator.base_url, png_bytes(), "image/png")
    original = JobStore.update

    def dies_before_recording(self: JobStore, job_id: str, **fields: Any) -> Any:
        if "request_id" in (fields.get("state") or {}):
            raise _Crash
        return original(self, job_id, **fields)

    monkeypatch.setattr(JobStore, "update", dies_before_recording)
    async with app_state(settings, run_jobs=False) as state:
        args = TalkingVideoArgs(image=image, script="Once only.")
        job = await video.generate_talking_video(state, "segmind/heygen-avatar-iv", args, SubmitOptions())
        with pytest.raises(BaseExceptionGroup) as crashed:
            await state.runner.run()
        assert crashed.group_contains(_Crash)
    monkeypatch.setattr(JobStore, "update", original)
    # The dead process's lease is void (SIGKILL would have left it to a dead pid).
    with contextlib.closing(sqlite3.connect(settings.ledger_path)) as conn:
        conn.execute("UPDATE jobs SET lease_owner = NULL, lease_until = 0")
        conn.commit()
    assert emulator.stats()["endpoints"]["segmind.submit"] == 1

    async with app_state(settings) as state:
        deadline = time.monotonic() + 10
        while (row := state.store.get(job.job_id)) is not None and row.active:
            assert time.monotonic() < deadline
            await anyio.sleep(0.05)
        assert row is not None and row.status == "submit_unknown", row
        assert "in flight" in (row.error or "")
    await anyio.sleep(0.3)
    assert emulator.stats()["endpoints"]["segmind.submit"] == 1
