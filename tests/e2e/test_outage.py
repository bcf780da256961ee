"""A routine database restart in the middle of a team's work: a replica and a worker on PostgreSQL with cloud and
local jobs running; the database is stopped (fast shutdown) for 10 s and started again. Every tool call made
during the outage answers within 5 s, and afterwards every job completes with one submit each, and no process
exited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from tests.conftest import env_for, make_settings
from tests.e2e.test_segmind import s2v_args
from tests.helpers import png_bytes, skip_or_fail, structured, upload, wav_bytes
from tests.servers import ServerProcess, WorkerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SPEED = 8.0  # a Segmind job takes a few real seconds: some are mid-poll when the database stops
OUTAGE_S = 10.0
ANSWER_WITHIN_S = 5.0
UNAVAILABLE = "The job store is unavailable; try again shortly."
TERMINAL = ("completed", "failed", "canceled", "expired", "submit_unknown")


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A PostgreSQL server of this test's own, since it is stopped and started (others share the session's)."""
    from tests.pg import find_bin, pg_server

    bin_dir = find_bin()
    if bin_dir is None:
        skip_or_fail("no PostgreSQL server binaries: the outage test cannot run")
    with pg_server(bin_dir) as server, server.database() as url:
        yield server, url


async def _timed_calls(url: str, job_ids: list[str], until: float) -> list[tuple[str, float, str]]:
    """Tool calls, one after another, until `until`: (tool, seconds it took, error text or '')."""
    answers: list[tuple[str, float, str]] = []
    calls = [("list_jobs", {}), ("check_video_status", {"job_id": job_ids[0]}), ("get_video_details",
             {"job_id": job_ids[-1]}), ("list_voices", {"provider": "local"})]
    async with Client(url) as client:
        while time.monotonic() < until:
            for name, args in calls:
                started = time.monotonic()
                with anyio.fail_after(30):
                    result = await client.call_tool(name, args)
                text = " ".join(getattr(c, "text", "") for c in result.content) if result.is_error else ""
                answers.append((name, time.monotonic() - started, text))
    return answers


async def test_a_database_restart_is_answered_and_nothing_is_lost(own_postgres: Any, tmp_path: Path) -> None:
    server, pg_url = own_postgres
    with run_in_thread(EmulatorConfig(speed=SPEED)) as emulator:
        home = tmp_path / "home"
        home.mkdir()
        settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_DATABASE_URL=pg_url,
                                 TALKING_VIDEO_TIME_SCALE=SPEED, TALKING_VIDEO_DAILY_BUDGET_USD=1000.0)
        env = env_for(settings)
        replica = ServerProcess({**env, "TALKING_VIDEO_REPLICA_ID": "replica", "TALKING_VIDEO_RENDER_SLOTS": "0"},
                                tmp_path / "replica.log", args=("--stateless",))
        worker = WorkerProcess({**env, "TALKING_VIDEO_REPLICA_ID": "worker", "TALKING_VIDEO_RENDER_SLOTS": "1"},
                               tmp_path / "worker.log")
        try:
            media = {"image": upload(emulator.base_url, png_bytes(), "image/png"),
                     "audio": upload(emulator.base_url, wav_bytes(3.0), "audio/wav")}
            jobs = [s2v_args(media, idempotency_key=f"outage-{i}") for i in range(3)]
            jobs += [{"model": "local", "avatar_preset_id": "local:grace_hopper", "force_new": True,
                      "script": f"Render {i} across a database restart."} for i in range(2)]
            async with Client(replica.url) as client:
                ids = [structured(await client.call_tool("generate_talking_video", args))["job_id"] for args in jobs]
            await anyio.sleep(1.0)
            server.stop("fast")
            try:
                answers = await _timed_calls(replica.url, ids, time.monotonic() + OUTAGE_S)
            finally:
                server.start()
            slow = [(name, round(took, 2)) for name, took, _ in answers if took > ANSWER_WITHIN_S]
            assert answers and not slow, slow
            refused = {text for _, _, text in answers if text}
            assert refused <= {UNAVAILABLE}, refused
            assert UNAVAILABLE in refused  # the ledger really was away, and the calls said so

            # Afterwards every job completes, each cloud job submitted once, and both processes still run. The
            # replica's connections reconnect by themselves within seconds (until then: the same sentence).
            back, deadline = time.monotonic(), time.monotonic() + 180
            recovered: float | None = None
            async with Client(replica.url) as client:
                while True:
                    results = [await client.call_tool("check_video_status", {"job_id": i}) for i in ids]
                    errors = {r.content[0].text for r in results if r.is_error}
                    assert errors <= {UNAVAILABLE}, errors
                    if not errors:
                        recovered = recovered or time.monotonic() - back
                        views = [structured(r) for r in results]
                        if all(v["status"] in TERMINAL for v in views):
                            break
                    assert time.monotonic() < deadline, "the jobs did not finish after the database came back"
                    await anyio.sleep(1.0)
            assert recovered is not None and recovered < 30, recovered
            assert [v["status"] for v in views] == ["completed"] * len(ids), [(v["status"], v["error"]) for v in views]
            submits = [e for e in emulator.requests() if e["endpoint"] == "segmind.submit"]
            assert len(submits) == 3, submits
            assert replica.proc.poll() is None and worker.proc.poll() is None
        finally:
            replica.stop()
            worker.stop()
