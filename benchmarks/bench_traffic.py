"""Provider traffic of one emulated 5-minute job: status requests per completed job, and the lag from the
provider finishing to the video being on disk, in provider seconds.

`segmind/higgsfield-speech2video` (Higgsfield Speak v2) runs 306 provider seconds in the emulator. The
emulator and the server run in this process (`run_in_thread(EmulatorConfig(speed=S))`,
`build_server(settings)` with `TALKING_VIDEO_TIME_SCALE=S`), so one provider second is 1/S real seconds.
Each job gets its own server, API key and ledger, so the jobs are independent samples that run side by
side (submitted a little apart) and never share a request budget; the emulator enforces Segmind's
rate limit (`SEGMIND_REQUESTS_PER_MINUTE`, the same value) per key in real seconds.

Measured from the emulator's request log and job timeline (`emu.requests()`, `emu.state.jobs`):
 * status requests (`GET /v2/requests/{id}/status`) per job, and every other request it made;
 * provider finish = the job's creation + its run time / S (the emulator derives its phase from that);
 * detection = the first status answer after the finish; on disk = the moment the final MP4 path exists
   (a watcher thread checks every 2 ms).
Lag (provider s) = (on disk − finish) × S; it is also split into the polling part (detection − finish,
× S) and the fetch part (result request + download + checks, in real milliseconds, which compression
would otherwise inflate S times).

Run: .venv/bin/python benchmarks/bench_traffic.py [jobs] [speed]
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import common

JOBS = 5
SPEED = 10.0  # a 306 s job takes ~31 s; 1 real ms of local work is 10 ms of provider time
RATE_LIMIT = 50  # Segmind pro plan; the product's default SEGMIND_REQUESTS_PER_MINUTE
STAGGER_S = 1.0
MODEL = "segmind/higgsfield-speech2video"
TARGET_STATUS_REQUESTS = 12
TARGET_LAG_S = 10.0


class FileWatcher:
    """Records when each expected file first exists (time.time())."""

    def __init__(self) -> None:
        self.paths: dict[str, Path] = {}
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="bench-file-watcher", daemon=True)

    def watch(self, key: str, path: Path) -> None:
        with self._lock:
            self.paths[key] = path

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pending = [(k, p) for k, p in self.paths.items() if k not in self.seen]
            for key, path in pending:
                if path.exists():
                    self.seen[key] = time.time()
            time.sleep(0.002)

    def __enter__(self) -> FileWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


async def _one_job(index: int, emu: Any, media: dict[str, str], speed: float, rpm: int, watcher: FileWatcher,
                   root: Path) -> dict[str, Any]:
    from mcp import Client

    from talking_video_mcp.server import build_server

    await anyio.sleep(index * STAGGER_S)
    home = root / f"job{index}"
    home.mkdir(parents=True)
    key = f"bench-traffic-key-{index}"
    settings = common.settings_from_env(common.emulator_env(home, emu.base_url, key, time_scale=speed,
                                                            requests_per_minute=rpm))
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_talking_video", {
            "model": MODEL, "image": media["image"], "audio": media["audio"], "duration": 5,
            "options": {"quality": "mid"},
            "seed": 1000 + index,
        })
        job = result.structured_content or {}
        if result.is_error or "job_id" not in job:
            raise RuntimeError(f"submit failed: {result.content}")
        watcher.watch(job["job_id"], settings.videos_dir / f"{job['job_id']}.mp4")
        deadline = time.monotonic() + 306 / speed * 4 + 30
        while job.get("status") in ("queued", "processing") and time.monotonic() < deadline:
            result = await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 5})
            job = result.structured_content or job
    return {"job_id": job["job_id"], "status": job.get("status"), "error": job.get("error"), "key": key}


def _analyse(done: dict[str, Any], emu: Any, watcher: FileWatcher, speed: float, rpm: int) -> dict[str, Any]:
    from talking_video_mcp.emulator.state import account_id

    account = account_id(done["key"])
    log = [r for r in emu.requests() if r.get("account") == account]
    provider_job = next(j for j in list(emu.state.jobs.values()) if j.account == account)
    finish = provider_job.created_wall + provider_job.run_s / speed
    status = [r for r in log if r["endpoint"] == "segmind.status"]
    after = [r["t"] for r in status if r["t"] >= finish]
    detected = min(after) if after else None
    on_disk = watcher.seen.get(done["job_id"])
    counts: dict[str, int] = {}
    for r in log:
        counts[r["endpoint"]] = counts.get(r["endpoint"], 0) + 1
    times = [r["t"] for r in log]
    entry: dict[str, Any] = {
        "status": done["status"],
        "status_requests": len(status),
        "requests_by_endpoint": counts,
        "requests_429": sum(1 for r in log if r["status_code"] == 429),
        "peak_per_60s_real": common.peak_in_window(times, 60.0),
        "peak_per_60_provider_s": common.peak_in_window(times, 60.0 / speed),
        "polls_at_provider_s": [round((r["t"] - provider_job.created_wall) * speed, 1) for r in status],
    }
    if done["error"]:
        entry["error"] = done["error"]
    if on_disk is not None:
        entry["lag_provider_s"] = round((on_disk - finish) * speed, 2)
    if detected is not None:
        entry["detect_lag_provider_s"] = round((detected - finish) * speed, 2)
        if on_disk is not None:
            entry["fetch_real_ms"] = round((on_disk - detected) * 1000, 1)
            entry["lag_uncompressed_fetch_s"] = round((detected - finish) * speed + (on_disk - detected), 2)
    entry["rate_limit_ok"] = entry["requests_429"] == 0 and entry["peak_per_60s_real"] <= rpm
    return entry


async def _run(jobs: int, speed: float, rpm: int) -> dict[str, Any]:
    from talking_video_mcp.emulator import EmulatorConfig, run_in_thread

    root = Path(tempfile.mkdtemp(prefix="tv-bench-traffic-"))
    config = EmulatorConfig(speed=speed, segmind_rate_limit_per_min=rpm, segmind_credits=10_000.0)
    with run_in_thread(config) as emu, FileWatcher() as watcher:
        media = {"image": common.upload_fixture(emu.base_url, common.png_bytes(), "image/png"),
                 "audio": common.upload_fixture(emu.base_url, common.wav_bytes(4.0), "audio/wav")}
        results: list[dict[str, Any] | BaseException] = [RuntimeError("not run")] * jobs

        async def one(i: int) -> None:
            try:
                results[i] = await _one_job(i, emu, media, speed, rpm, watcher, root)
            except Exception as exc:
                results[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(jobs):
                tg.start_soon(one, i)
        await anyio.sleep(0.05)
        per_job: list[dict[str, Any]] = []
        for item in results:
            if isinstance(item, BaseException):
                per_job.append({"status": "error", "error": f"{type(item).__name__}: {item}"[:300]})
            else:
                per_job.append(_analyse(item, emu, watcher, speed, rpm))
    return {"per_job": per_job}


def poll_overheads(per_job: list[dict[str, Any]], speed: float, typical_s: float) -> list[float]:
    """Real seconds each poll came later than the product's schedule asked (runner + ledger + HTTP time),
    from consecutive status requests: measured gap − next_poll_delay(previous poll time)."""
    from talking_video_mcp.providers.polling import next_poll_delay

    out: list[float] = []
    for job in per_job:
        polls = job.get("polls_at_provider_s") or []
        for before, after in itertools.pairwise(polls):
            out.append(max(0.0, (after - before - next_poll_delay(before, typical_s)) / speed))
    return out


def schedule_model(run_s: float, typical_s: float, overhead_s: float) -> tuple[int, float]:
    """Status requests and detection lag (provider s) of the product's poll schedule at real speed,
    for a job that finishes after `run_s`, when each poll lands `overhead_s` late."""
    from talking_video_mcp.providers.polling import next_poll_delay

    t = next_poll_delay(0.0, typical_s) + overhead_s
    polls = 1
    while t < run_s and polls < 10_000:
        t += next_poll_delay(t, typical_s) + overhead_s
        polls += 1
    return polls, t - run_s


def model_report(typical_s: float, overhead_s: float, fetch_s: float) -> dict[str, Any]:
    """The schedule at real speed (no compression): the 306 s job itself, and run times from 0.8× to 1.2×
    the typical one (real jobs vary), each with the measured per-poll overhead and fetch time."""
    polls, detect = schedule_model(typical_s, typical_s, overhead_s)
    sweep = [schedule_model(typical_s * f / 100, typical_s, overhead_s) for f in range(80, 121)]
    counts = [float(c) for c, _ in sweep]
    lags = [lag + fetch_s for _, lag in sweep]
    return {
        "per_poll_overhead_real_ms": round(overhead_s * 1000, 1),
        "fetch_real_s": round(fetch_s, 3),
        "job_306s": {"status_requests": polls, "lag_s": round(detect + fetch_s, 2)},
        "run_time_0.8_to_1.2x": {
            "status_requests_median": common.percentile(counts, 50), "status_requests_max": max(counts),
            "lag_s_median": round(common.percentile(lags, 50), 2), "lag_s_max": round(max(lags), 2),
        },
    }


def _median(values: list[float]) -> float | None:
    return round(common.percentile(values, 50), 2) if values else None


def run(jobs: int = JOBS, speed: float = SPEED, rpm: int = RATE_LIMIT) -> dict[str, Any]:
    started = time.perf_counter()
    data = anyio.run(_run, jobs, speed, rpm)
    per_job = data["per_job"]
    completed = [j for j in per_job if j.get("status") == "completed"]
    status_counts = [float(j["status_requests"]) for j in completed]
    lags = [float(j["lag_provider_s"]) for j in completed if "lag_provider_s" in j]
    med_status = _median(status_counts)
    med_lag = _median(lags)
    typical = 306.0
    fetch_ms = _median([float(j["fetch_real_ms"]) for j in completed if "fetch_real_ms" in j]) or 0.0
    try:
        overheads = poll_overheads(completed, speed, typical)
        model: dict[str, Any] = model_report(typical, common.percentile(overheads, 50) if overheads else 0.0,
                                             fetch_ms / 1000)
    except Exception as exc:  # the schedule module changed shape: report, do not crash
        model = {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "method": f"{jobs} Speak v2 jobs (306 provider s each), one server + key each, emulator speed x{speed:g}, "
                  f"rate limit {rpm}/min per key (emulator and SEGMIND_REQUESTS_PER_MINUTE)",
        "model": MODEL,
        "speed": speed,
        "rate_limit_per_min": rpm,
        "jobs": jobs,
        "completed": len(completed),
        "status_requests_per_job_median": med_status,
        "status_requests_per_job_max": max(status_counts) if status_counts else None,
        "lag_provider_s_median": med_lag,
        "lag_provider_s_max": max(lags) if lags else None,
        "detect_lag_provider_s_median": _median([float(j["detect_lag_provider_s"]) for j in completed
                                                 if "detect_lag_provider_s" in j]),
        "fetch_real_ms_median": _median([float(j["fetch_real_ms"]) for j in completed if "fetch_real_ms" in j]),
        "lag_uncompressed_fetch_s_median": _median([float(j["lag_uncompressed_fetch_s"]) for j in completed
                                                    if "lag_uncompressed_fetch_s" in j]),
        "rate_limit_ok": all(j.get("rate_limit_ok") for j in completed) and bool(completed),
        "real_speed_model": model,
        "targets": {
            "status_requests_le_12": med_status is not None and max(status_counts) <= TARGET_STATUS_REQUESTS,
            "lag_le_10s": med_lag is not None and med_lag <= TARGET_LAG_S,
            "lag_le_10s_at_real_speed": bool(model.get("job_306s", {}).get("lag_s", 1e9) <= TARGET_LAG_S),
        },
        "per_job": per_job,
        "wall_s": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(run(int(args[0]) if args else JOBS, float(args[1]) if len(args) > 1 else SPEED), indent=2))
