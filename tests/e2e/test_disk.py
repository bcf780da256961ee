"""Disk trouble: an unwritable or full TALKING_VIDEO_HOME stops the server at start-up with what to
do (no traceback, non-zero exit); a video that cannot be written fails its job with a clear message;
and a ledger that cannot be written for a while (a full disk) neither stops the server nor costs a
job, nor ever makes it pay twice.

Portable by design: a "directory" that is really a file fails every write even for root, RLIMIT_FSIZE
fills the "disk" of a subprocess, and the ledger's full disk is injected at its database connection."""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from talking_video_mcp.emulator.runner import EmulatorHandle
from talking_video_mcp.jobs.store import JobStore
from talking_video_mcp.media.video import probe_video
from talking_video_mcp.models import ACTIVE_STATUSES
from talking_video_mcp.server import build_server
from talking_video_mcp.settings import Settings
from tests.conftest import env_for, make_settings
from tests.helpers import error_text, png_bytes, segmind_submits, structured, upload, wait_for_job

pytestmark = pytest.mark.anyio

DISK_FULL = "database or disk is full"


# --------------------------------------------------------------------------- start-up


def serve(env: dict[str, str], transport: str, *, file_size_limit: int | None = None
          ) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "talking_video_mcp", "serve", "--transport", transport, "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=limit,
    )


def assert_clean_refusal(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode != 0, result
    output = result.stderr + result.stdout
    assert "Traceback" not in output, output
    for phrase in phrases:
        assert phrase in output, output


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_an_unwritable_home_stops_start_up_with_what_to_do(settings: Settings, tmp_path: Path,
                                                           transport: str) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    env = {**env_for(settings), "TALKING_VIDEO_HOME": str(blocker / "home")}
    assert_clean_refusal(serve(env, transport), "TALKING_VIDEO_HOME", "not writable", "writable directory")


def test_a_full_disk_stops_start_up_with_what_to_do(settings: Settings, tmp_path: Path) -> None:
    env = {**env_for(settings), "TALKING_VIDEO_HOME": str(tmp_path / "fresh-home")}
    # Every file this process writes may hold at most one byte: its disk is full.
    assert_clean_refusal(serve(env, "http", file_size_limit=1), "TALKING_VIDEO_HOME", "disk looks full")


def test_a_ledger_that_cannot_be_opened_stops_start_up(settings: Settings, home: Path) -> None:
    (home / "jobs.sqlite").mkdir()
    assert_clean_refusal(serve(env_for(settings), "stdio"), "job ledger", "jobs.sqlite")


# --------------------------------------------------------------------------- during a job


async def follow(client: Client, job: dict[str, Any], limit_s: float = 30.0) -> dict[str, Any]:
    return await wait_for_job(client, job, limit_s=limit_s, wait_s=2)


def heygen(image: str, script: str) -> dict[str, Any]:
    return {"model": "segmind/heygen-avatar-iv", "image": image, "script": script}


async def test_a_video_that_cannot_be_written_fails_its_job_clearly(
    settings: Settings, emulator: EmulatorHandle
) -> None:
    image = upload(emulator.base_url, png_bytes(), "image/png")
    async with Client(build_server(settings)) as client:
        await client.call_tool("list_jobs", {})  # the server is up and running when the folder goes
        videos = settings.videos_dir
        videos.rmdir()
        videos.write_text("the videos folder is gone: every write into it fails")
        job = await follow(client, structured(await client.call_tool("generate_talking_video",
                                                                     heygen(image, "Nowhere to go."))))
        assert job["status"] == "failed", job
        error = job["error"]
        assert "could not be saved" in error and "Free disk space" in error, error
        assert "/files/outputs/" in error, "the message must say where the finished video still is"
        assert "Traceback" not in error
        # The server keeps working: with room again, the next job completes.
        videos.unlink()
        videos.mkdir()
        again = await follow(client, structured(await client.call_tool("generate_talking_video",
                                                                       heygen(image, "Room again."))))
        assert again["status"] == "completed", again
        assert probe_video(Path(again["video_path"]), decode_all=True).frames > 0
    assert segmind_submits(emulator.stats()) == 2
    assert not list(settings.videos_dir.glob(".*.part"))


class FullDisk:
    """A ledger connection whose disk is full while `full(sql, params)` says so: writes fail the way
    SQLite fails them (SQLITE_FULL), reads still work."""

    def __init__(self, conn: sqlite3.Connection, full: Callable[[str, Any], bool]) -> None:
        self._conn = conn
        self.full = full

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        if self.full(sql, params):
            raise sqlite3.OperationalError(DISK_FULL)
        return self._conn.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[JobStore]]:
    """Every JobStore opened during the test (the in-memory server's ledger among them)."""
    opened: list[JobStore] = []
    original = JobStore.__init__

    def init(self: JobStore, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(JobStore, "__init__", init)
    yield opened


async def test_a_full_ledger_disk_neither_stops_the_server_nor_costs_the_job(
    home: Path, tmp_path: Path, emulator: EmulatorHandle, stores: list[JobStore]
) -> None:
    settings = make_settings(home, tmp_path, emulator.base_url)
    image = upload(emulator.base_url, png_bytes(), "image/png")
    disk = {"full": False}
    async with Client(build_server(settings)) as client:
        await client.call_tool("list_jobs", {})  # the ledger is open once the services are
        store = stores[-1]
        store._conn = FullDisk(store._conn, lambda sql, _: disk["full"] and sql.startswith("BEGIN"))  # type: ignore[assignment]
        job = structured(await client.call_tool("generate_talking_video", heygen(image, "Disk full, then not.")))
        deadline = time.monotonic() + 20
        while job["step"] != "poll":
            assert time.monotonic() < deadline and job["status"] in ACTIVE_STATUSES, job
            job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"],
                                                                           "wait_seconds": 0.5}))
        disk["full"] = True
        refused = await client.call_tool("generate_talking_video", heygen(image, "No room for this one."))
        assert refused.is_error
        text = error_text(refused)
        assert "could not be written" in text and "Free disk" in text, text
        assert text.strip() != "Error executing tool generate_talking_video" and "Traceback" not in text
        # Reads still answer while the runner cannot record anything (and keeps trying).
        await anyio.sleep(1.5)
        seen = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"]}))
        assert seen["status"] in ACTIVE_STATUSES
        assert not (await client.call_tool("list_jobs", {})).is_error
        disk["full"] = False
        done = await follow(client, seen)
        assert done["status"] == "completed", done
        assert probe_video(Path(done["video_path"]), decode_all=True).frames > 0
    assert segmind_submits(emulator.stats()) == 1


async def test_a_full_disk_when_the_submit_answer_is_recorded_never_pays_twice(
    home: Path, tmp_path: Path, emulator: EmulatorHandle, stores: list[JobStore]
) -> None:
    settings = make_settings(home, tmp_path, emulator.base_url)
    image = upload(emulator.base_url, png_bytes(), "image/png")

    def recording_the_submit(sql: str, params: Any) -> bool:
        return sql.startswith("UPDATE") and "request_id" in str(params)

    async with Client(build_server(settings)) as client:
        await client.call_tool("list_jobs", {})  # the ledger is open once the services are
        store = stores[-1]
        store._conn = FullDisk(store._conn, recording_the_submit)  # type: ignore[assignment]
        job = structured(await client.call_tool("generate_talking_video", heygen(image, "Accepted, unrecorded.")))
        job = await follow(client, job)
        assert job["status"] == "submit_unknown", job
        assert "interrupted" in job["error"] and "not sent again" in job["error"], job
        await anyio.sleep(0.5)
    assert segmind_submits(emulator.stats()) == 1
