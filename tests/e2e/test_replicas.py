"""A team deployment: two `serve --transport http --stateless` replicas and one `worker` on one PostgreSQL
ledger and one shared TALKING_VIDEO_HOME. Every job is submitted once and polled by one process at a time
(read from the emulator's request log, where each process signs with its TALKING_VIDEO_REPLICA_ID), the
provider rate limit holds for all processes together, local renders go to the worker, any replica answers
for any job, and a SIGKILLed replica's jobs finish through the others."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.settings import Settings
from tests.conftest import EMULATOR_SPEED, env_for, make_settings
from tests.e2e.test_segmind import s2v_args
from tests.helpers import png_bytes, structured, upload, wav_bytes
from tests.servers import ServerProcess, WorkerProcess

pytestmark = pytest.mark.anyio

REPLICAS = ("replica-a", "replica-b")
SEGMIND_API = ("segmind.submit", "segmind.status", "segmind.result")
TERMINAL = ("completed", "failed", "canceled", "expired", "submit_unknown")


@dataclass
class Team:
    replicas: dict[str, ServerProcess]
    worker: WorkerProcess
    settings: Settings
    emulator: Any
    pg_url: str

    def ledger(self) -> Any:
        from talking_video_mcp.jobs.pg_store import PgJobStore

        return PgJobStore(self.pg_url)


@dataclass
class TeamSpec:
    speed: float = EMULATOR_SPEED
    rate_per_min: int | None = None


@pytest.fixture
def team(request: pytest.FixtureRequest, tmp_path: Path, pg_url: str) -> Iterator[Team]:
    spec: TeamSpec = getattr(request, "param", TeamSpec())
    # The emulator enforces the limit; the replicas are configured a little under it, because the test's
    # own uploads count at the emulator too.
    config = EmulatorConfig(speed=spec.speed, segmind_rate_limit_per_min=spec.rate_per_min)
    with run_in_thread(config) as emulator:
        home = tmp_path / "shared-home"
        home.mkdir()
        # Without an emulator limit, a budget that never binds (the default 50/min, shared, would).
        budget = spec.rate_per_min - UPLOAD_MARGIN if spec.rate_per_min else 10_000
        extra: dict[str, Any] = {"TALKING_VIDEO_TIME_SCALE": spec.speed, "SEGMIND_REQUESTS_PER_MINUTE": budget}
        settings = make_settings(
            home, tmp_path, emulator.base_url, TALKING_VIDEO_DATABASE_URL=pg_url,
            TALKING_VIDEO_DAILY_BUDGET_USD=100_000.0, TALKING_VIDEO_MAX_JOB_COST_USD=1_000.0, **extra,
        )
        env = env_for(settings)
        replicas = {
            name: ServerProcess({**env, "TALKING_VIDEO_REPLICA_ID": name, "TALKING_VIDEO_RENDER_SLOTS": "0"},
                                tmp_path / f"{name}.log", wait=False, args=("--stateless",))
            for name in REPLICAS
        }
        worker = WorkerProcess({**env, "TALKING_VIDEO_REPLICA_ID": "worker", "TALKING_VIDEO_RENDER_SLOTS": "1"},
                               tmp_path / "worker.log")
        try:
            for replica in replicas.values():
                replica.wait_ready()
            yield Team(replicas, worker, settings, emulator, pg_url)
        finally:
            for proc in [*replicas.values(), worker]:
                proc.stop()


def _media(emulator: Any) -> dict[str, str]:
    return {"image": upload(emulator.base_url, png_bytes(), "image/png"),
            "audio": upload(emulator.base_url, wav_bytes(3.0), "audio/wav")}


def _local_args(i: int) -> dict[str, Any]:
    return {"model": "local", "avatar_preset_id": "local:grace_hopper",
            "script": f"Render number {i} of the team test.", "force_new": True}


async def _submit(url: str, jobs: list[dict[str, Any]], out: dict[str, str]) -> None:
    """Submit `jobs` through the replica at `url`; records job id → replica url."""
    async with Client(url) as client:
        for args in jobs:
            job = structured(await client.call_tool("generate_talking_video", args))
            assert job["status"] in ("queued", "processing") and not job["reused_existing_job"], job
            out[job["job_id"]] = url


def _wait_terminal(team: Team, ids: set[str], limit_s: float) -> dict[str, Any]:
    store = team.ledger()
    try:
        deadline = time.monotonic() + limit_s
        while True:
            rows = {job_id: store.get(job_id) for job_id in ids}
            if all(r is not None and r.status in TERMINAL for r in rows.values()) or time.monotonic() > deadline:
                return rows
            time.sleep(0.25)
    finally:
        store.close()


def _polls_by_job(log: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    polls: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in log:
        if entry["endpoint"] in ("segmind.status", "segmind.result") and entry["id"]:
            polls[entry["id"]].append(entry)
    return polls


def _max_in_window(times: list[float], window_s: float = 60.0) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


RATE = 150
UPLOAD_MARGIN = 5


# Record lifetimes shrink with the emulator's speed but the rate limit's minute does not: at 30× a
# Segmind record lives 2 minutes, longer than any job waits for a slot here.
@pytest.mark.parametrize("team", [TeamSpec(speed=30.0, rate_per_min=RATE)], indirect=True)
async def test_fifty_jobs_across_two_replicas_and_a_worker(team: Team) -> None:
    media = _media(team.emulator)
    urls = [r.url for r in team.replicas.values()]
    cloud = [s2v_args(media, idempotency_key=f"team-{i}") for i in range(46)]
    local = [_local_args(i) for i in range(4)]
    batches: list[list[dict[str, Any]]] = [cloud[0::2] + local[0::2], cloud[1::2] + local[1::2]]
    placed: dict[str, str] = {}
    started = time.monotonic()
    async with anyio.create_task_group() as tg:
        for url, batch in zip(urls, batches, strict=True):
            tg.start_soon(_submit, url, batch, placed)
    assert len(placed) == 50

    rows = _wait_terminal(team, set(placed), limit_s=240)
    took = time.monotonic() - started
    assert {job_id: r.status for job_id, r in rows.items() if r.status != "completed"} == {}

    # Exactly one submit per cloud job, and each job's polls all came from one process.
    log = team.emulator.requests()
    submits = [e for e in log if e["endpoint"] == "segmind.submit"]
    request_ids = {r.state["request_id"] for r in rows.values() if r.provider == "segmind"}
    assert len(submits) == 46 and {e["id"] for e in submits} == request_ids
    polls = _polls_by_job(log)
    assert set(polls) == request_ids
    pollers = {job: {e["client"] for e in entries} for job, entries in polls.items()}
    assert all(len(clients) == 1 for clients in pollers.values()), pollers
    assert {c for clients in pollers.values() for c in clients} <= set(REPLICAS)

    # The rate limit held for both replicas together: no 429, never more than RATE in a minute. The
    # limit is below what the jobs need, so two unshared budgets would have gone over it.
    api = [e for e in log if e["endpoint"] in SEGMIND_API]
    assert len(api) > RATE
    assert [e for e in log if e["status_code"] == 429] == []
    peak = _max_in_window([e["t"] for e in api])
    assert peak <= RATE - UPLOAD_MARGIN
    print(f"\nteam: 50 jobs in {took:.1f} s; {len(api)} Segmind API requests, peak {peak} in 60 s "
          f"(limit {RATE - UPLOAD_MARGIN}), 0 x 429; pollers {sorted({c for p in pollers.values() for c in p})}")

    # Renders went to the worker (the replicas have no render slot); every file is on the shared disk.
    for row in rows.values():
        assert row.video_path and Path(row.video_path).stat().st_size > 0
        if row.provider == "local":
            assert row.lease_owner.endswith(":worker"), row.lease_owner

    # Any replica answers for any job: status, list and the video file, from the one that did not take it.
    for url in urls:
        others = [job_id for job_id, where in placed.items() if where != url]
        async with Client(url) as client:
            listed = structured(await client.call_tool("list_jobs", {"limit": 50}))
            assert {j["job_id"] for j in listed["jobs"]} == set(placed)
            view = structured(await client.call_tool("check_video_status", {"job_id": others[0]}))
            assert view["status"] == "completed"
        video = httpx.get(url.removesuffix("/mcp") + f"/videos/{others[0]}.mp4", timeout=10)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"


@pytest.mark.parametrize("team", [TeamSpec(speed=25.0)], indirect=True)
async def test_a_killed_replicas_jobs_finish_through_the_others(team: Team) -> None:
    media = _media(team.emulator)
    victim, survivor = team.replicas["replica-a"], team.replicas["replica-b"]
    placed: dict[str, str] = {}
    # A Speak v2 run is 306 provider seconds: 12 s at this speed, so every job is mid-flight at the kill.
    jobs = [s2v_args(media, idempotency_key=f"kill-{i}") for i in range(12)]
    await _submit(victim.url, jobs, placed)
    store = team.ledger()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = [store.get(job_id) for job_id in placed]
            if all(r is not None and r.submitted_at and not r.pending_submit for r in rows):
                break
            time.sleep(0.1)
        assert all(r is not None and r.status in ("queued", "processing") and r.state.get("request_id")
                   for r in rows), [(r.status, r.step) for r in rows if r]
        assert {r.lease_owner.rsplit(":", 1)[-1] for r in rows if r} == {"replica-a"}
    finally:
        store.close()

    victim.kill()
    killed_at = time.time()
    rows_after = _wait_terminal(team, set(placed), limit_s=30)
    finished_in = time.time() - killed_at
    log = team.emulator.requests()
    timeline = [(round(e["t"] - killed_at, 2), e["client"], e["endpoint"], e["id"], e["status_code"])
                for e in log if e["endpoint"] in SEGMIND_API]
    assert {r.status for r in rows_after.values()} == {"completed"}, "\n".join(map(str, timeline))
    assert finished_in <= 30
    first_taken = min(e["t"] for e in log if e["endpoint"] in SEGMIND_API and e["client"] != "replica-a") - killed_at
    print(f"\nkill: first poll by another process {first_taken:.1f} s after the SIGKILL; the 12 jobs of the "
          f"killed replica all completed {finished_in:.1f} s after it")

    assert len([e for e in log if e["endpoint"] == "segmind.submit"]) == 12  # nothing re-submitted
    for entries in _polls_by_job(log).values():
        before = {e["client"] for e in entries if e["t"] < killed_at}
        after = {e["client"] for e in entries if e["t"] > killed_at + 0.5}
        assert before <= {"replica-a"} and len(after) <= 1 and "replica-a" not in after, (before, after)
    takers = {r.lease_owner.rsplit(":", 1)[-1] for r in rows_after.values()}
    assert takers <= {"replica-b", "worker"}
    async with Client(survivor.url) as client:  # the survivor answers for the dead replica's jobs
        view = structured(await client.call_tool("check_video_status", {"job_id": next(iter(placed))}))
    assert view["status"] == "completed" and Path(view["video_path"]).is_file()
