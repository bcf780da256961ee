"""200 concurrent jobs on the provider emulator through one server, under the provider's rate limit.

The server runs as users run it for several clients: `talking-video-mcp serve --transport http` in its own
process, one Segmind key, `SEGMIND_REQUESTS_PER_MINUTE=R`; the emulator (this process, a thread) runs at
speed S and enforces the same R per key in a sliding 60 s window of real time. One MCP client submits 200
jobs (half `segmind/higgsfield-speech2video`, 306 provider s; half `segmind/heygen-avatar-iv`, 195 s) as
fast as the server takes them; a second client meanwhile calls `check_video_status` (a random submitted
job, no wait) and `list_jobs` in turn, timing each call. Progress is read from the ledger (read-only).

Defaults: S = 10 and R = 500/min, i.e. the Segmind pro plan's 50 requests per provider minute at the
same compression. Unthrottled, the 200 jobs would want ~1,900 status/submit/result requests within ~35 s
of real time, so the limit binds: the run takes about two minutes and the peak 60 s window should sit
at R (not above). Record expiry (1 h provider time = 6 min real) stays well beyond the run.

Run: .venv/bin/python benchmarks/bench_load.py [jobs] [speed] [rate_per_min]
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import common

JOBS = 200
SPEED = 10.0
RATE_LIMIT = 500
SUBMIT_CONCURRENCY = 8
TIMEOUT_S = 240.0
MODELS = ("segmind/higgsfield-speech2video", "segmind/heygen-avatar-iv")
KEY = "bench-load-key"


def _args(i: int, media: dict[str, str]) -> dict[str, Any]:
    if i % 2 == 0:
        return {"model": MODELS[0], "image": media["image"], "audio": media["audio"], "duration": 5,
                "options": {"quality": "mid"}, "seed": i + 1, "idempotency_key": f"load-{i}"}
    return {"model": MODELS[1], "image": media["image"], "script": f"Hello, this is load test video number {i}.",
            "voice_id": "Nova", "idempotency_key": f"load-{i}"}


def ledger_counts(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return Counter({status: n for status, n in con.execute("SELECT status, count(*) FROM jobs GROUP BY status")})
    except sqlite3.Error:
        return Counter()
    finally:
        con.close()


def ledger_rows(path: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(
            "SELECT id, model, status, error, created_at, submitted_at, finished_at, polls FROM jobs")]
    finally:
        con.close()


class Load:
    def __init__(self, url: str, media: dict[str, str], ledger: Path, jobs: int) -> None:
        self.url = url
        self.media = media
        self.ledger = ledger
        self.jobs = jobs
        self.job_ids: list[str] = []
        self.submit_times: list[float] = []
        self.submit_errors: list[str] = []
        self.status_times: list[float] = []
        self.list_times: list[float] = []
        self.monitor_errors: list[str] = []
        self.done = anyio.Event()
        self.submitted_all_s = 0.0
        self.finished_s = 0.0

    async def submit_all(self) -> None:
        from mcp import Client

        limiter = anyio.Semaphore(SUBMIT_CONCURRENCY)
        start = time.perf_counter()
        async with Client(self.url) as client:

            async def one(i: int) -> None:
                async with limiter:
                    t0 = time.perf_counter()
                    result = await client.call_tool("generate_talking_video", _args(i, self.media))
                    self.submit_times.append(time.perf_counter() - t0)
                    data = result.structured_content or {}
                    if result.is_error or "job_id" not in data:
                        self.submit_errors.append(" ".join(getattr(c, "text", "") for c in result.content)[:200])
                    else:
                        self.job_ids.append(str(data["job_id"]))

            async with anyio.create_task_group() as tg:
                for i in range(self.jobs):
                    tg.start_soon(one, i)
        self.submitted_all_s = time.perf_counter() - start

    async def monitor(self) -> None:
        """The second task: a user asking about jobs while the load runs."""
        from mcp import Client

        rng = random.Random(7)
        async with Client(self.url) as client:
            turn = 0
            while not self.done.is_set():
                turn += 1
                try:
                    if turn % 2 and self.job_ids:
                        job_id = rng.choice(self.job_ids)
                        t0 = time.perf_counter()
                        result = await client.call_tool("check_video_status", {"job_id": job_id})
                        self.status_times.append(time.perf_counter() - t0)
                    else:
                        t0 = time.perf_counter()
                        result = await client.call_tool("list_jobs", {})
                        self.list_times.append(time.perf_counter() - t0)
                    if result.is_error:
                        self.monitor_errors.append(" ".join(getattr(c, "text", "") for c in result.content)[:200])
                except Exception as exc:
                    self.monitor_errors.append(f"{type(exc).__name__}: {exc}"[:200])
                await anyio.sleep(0.05)

    async def wait_done(self, timeout_s: float) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout_s:
            await anyio.sleep(0.5)
            counts = ledger_counts(self.ledger)
            if sum(counts.values()) >= self.jobs - len(self.submit_errors) and not (
                counts["queued"] or counts["processing"]
            ) and len(self.job_ids) + len(self.submit_errors) >= self.jobs:
                break
        self.finished_s = time.perf_counter() - start
        self.done.set()

    async def run(self, timeout_s: float) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.monitor)
            await self.submit_all()
            await self.wait_done(timeout_s)


def _rate_report(log: list[dict[str, Any]], account: str, speed: float, limit: int) -> dict[str, Any]:
    mine = [r for r in log if r.get("account") == account]
    times = [r["t"] for r in mine]
    accepted = [r["t"] for r in mine if r["status_code"] != 429]
    by_endpoint = Counter(r["endpoint"] for r in mine)
    return {
        "requests": len(mine),
        "by_endpoint": dict(by_endpoint),
        "requests_429": sum(1 for r in mine if r["status_code"] == 429),
        "peak_per_60s_real": common.peak_in_window(times, 60.0),
        "peak_per_60s_real_answered": common.peak_in_window(accepted, 60.0),
        "limit_per_min": limit,
        # The emulator enforces the limit on arrival; a 429 means the client sent more than `limit` in 60 s.
        # (Log times are taken when the answer is written, so the answered peak can read limit+1.)
        "limit_exceeded": any(r["status_code"] == 429 for r in mine),
        "limit_reached": common.peak_in_window(times, 60.0) >= limit,
        "mean_rate_per_min": round(len(mine) / max(1e-9, (max(times) - min(times))) * 60, 1) if times else 0.0,
        "peak_per_provider_minute": common.peak_in_window(times, 60.0 / speed),
        "first_429_s_after_first_request": [round(r["t"] - times[0], 2) for r in mine if r["status_code"] == 429][:10],
    }


def run(jobs: int = JOBS, speed: float = SPEED, rate: int = RATE_LIMIT, timeout_s: float = TIMEOUT_S,
        server_env: dict[str, str] | None = None) -> dict[str, Any]:
    """The load run; `server_env` adds variables to the server's environment (for experiments)."""
    from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
    from talking_video_mcp.emulator.state import account_id

    started = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="tv-bench-load-"))
    config = EmulatorConfig(speed=speed, segmind_rate_limit_per_min=rate, segmind_credits=1_000_000.0)
    out: dict[str, Any] = {
        "method": f"{jobs} jobs ({MODELS[0]} / {MODELS[1]} alternating) through one HTTP server process; "
                  f"emulator speed x{speed:g}; rate limit {rate}/min per key in the emulator and "
                  f"SEGMIND_REQUESTS_PER_MINUTE; a second client times check_video_status and list_jobs",
        "jobs": jobs, "speed": speed, "rate_limit_per_min": rate,
    }
    with run_in_thread(config) as emu:
        media = {"image": common.upload_fixture(emu.base_url, common.png_bytes(), "image/png"),
                 "audio": common.upload_fixture(emu.base_url, common.wav_bytes(4.0), "audio/wav")}
        env = common.base_env()
        env.update(common.emulator_env(home, emu.base_url, KEY, time_scale=speed, requests_per_minute=rate))
        env.update(server_env or {})
        port = common.free_port()
        log_path = home / "server.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "talking_video_mcp", "serve", "--transport", "http", "--port", str(port)],
                env=env, cwd=str(common.REPO), stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                common.wait_port(port, proc)
                load = Load(f"http://127.0.0.1:{port}/mcp", media, home / "jobs.sqlite", jobs)
                anyio.run(load.run, timeout_s)
            finally:
                common.stop_process(proc)
        rows = ledger_rows(home / "jobs.sqlite")
        rate_report = _rate_report(emu.requests(), account_id(KEY), speed, rate)
    statuses = Counter(r["status"] for r in rows)
    errors = Counter((r["error"] or "")[:160] for r in rows if r["status"] != "completed")
    durations: dict[str, dict[str, float]] = {}
    for model in MODELS:
        spans = [(r["finished_at"] - r["created_at"]) * speed for r in rows
                 if r["model"] == model and r["status"] == "completed" and r["finished_at"]]
        if spans:
            durations[model] = {"p50_provider_s": round(common.percentile(spans, 50), 1),
                                "max_provider_s": round(max(spans), 1)}
    out.update({
        "completed": statuses.get("completed", 0),
        "failed": sum(n for s, n in statuses.items() if s != "completed"),
        "statuses": dict(statuses),
        "submit_errors": len(load.submit_errors),
        "errors": dict(errors.most_common(5)),
        "all_completed": statuses.get("completed", 0) == jobs,
        "submit_all_s": round(load.submitted_all_s, 1),
        "submit_call": common.summary_ms(load.submit_times, qs=(50, 99)),
        "run_s": round(load.finished_s + load.submitted_all_s, 1),
        "check_video_status": common.summary_ms(load.status_times, qs=(50, 99)),
        "list_jobs": common.summary_ms(load.list_times, qs=(50, 99)),
        "monitor_errors": load.monitor_errors[:5],
        "job_duration": durations,
        "provider_requests": rate_report,
        "status_requests_per_job": round(rate_report["by_endpoint"].get("segmind.status", 0) / max(1, jobs), 2),
        "wall_s": round(time.perf_counter() - started, 1),
    })
    if load.submit_errors:
        out["submit_error_samples"] = load.submit_errors[:3]
    if not out["all_completed"]:
        out["server_log_tail"] = common.stderr_tail(log_path, 8)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(run(int(args[0]) if args else JOBS, float(args[1]) if len(args) > 1 else SPEED,
                         int(args[2]) if len(args) > 2 else RATE_LIMIT), indent=2))
