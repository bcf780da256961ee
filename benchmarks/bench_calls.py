"""Tool-call overhead: `list_jobs` (read-only) p50/p99 over 1,000 calls with the SDK's `mcp.Client`,
over stdio (`talking-video-mcp serve`) and streamable HTTP (`serve --transport http`), plus the same in
memory (the server in this process) to show what the transports add.

The ledger holds 20 finished jobs, so each call returns a full default page (20 jobs), as an assistant
would see it. 20 warm-up calls are not counted. No keys are configured: nothing leaves the machine.

Run: .venv/bin/python benchmarks/bench_calls.py [calls]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import common

CALLS = 1000
WARMUP = 20
SEEDED_JOBS = 20


def seed_ledger(home: Path, count: int = SEEDED_JOBS) -> None:
    """Finished jobs in a fresh ledger, written through the product's own JobStore."""
    from talking_video_mcp.domain.records import NewJob
    from talking_video_mcp.domain.requests import Speech2VideoBody, Speech2VideoRequest
    from talking_video_mcp.jobs.store import JobStore

    store = JobStore(home / "jobs.sqlite")
    try:
        for i in range(count):
            request = Speech2VideoRequest(payload=Speech2VideoBody(prompt="p", quality="high", enhance_prompt=False,
                                                                   seed=i, duration=10))
            job = store.create(NewJob(request=request, provider="segmind", cost_estimate_usd=0.86, step="submit"))
            store.update(job.id, status="completed", progress=1.0, step=None, finished_at=time.time(),
                         video_path=str(home / "videos" / f"{job.id}.mp4"),
                         output_url=f"https://example.invalid/{job.id}.mp4")
    finally:
        store.close()


async def _timed_calls(client: Any, calls: int, warmup: int) -> tuple[list[float], int]:
    for _ in range(warmup):
        await client.call_tool("list_jobs", {})
    times: list[float] = []
    size = 0
    for i in range(calls):
        start = time.perf_counter()
        result = await client.call_tool("list_jobs", {})
        times.append(time.perf_counter() - start)
        if i == 0:
            if result.is_error:
                raise RuntimeError(f"list_jobs failed: {result.content}")
            size = len(common.compact_json(result.model_dump(mode="json", by_alias=True, exclude_none=True)))
    return times, size


def _home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="tv-bench-calls-"))
    seed_ledger(home)
    return home


def _env(home: Path) -> dict[str, str]:
    env = common.base_env()
    env.update(TALKING_VIDEO_HOME=str(home), TALKING_VIDEO_LOG_LEVEL="WARNING")
    return env


async def _stdio(calls: int) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    home = _home()
    params = StdioServerParameters(command=sys.executable, args=["-m", "talking_video_mcp", "serve"], env=_env(home),
                                   cwd=str(common.REPO))
    async with Client(params) as client:
        times, size = await _timed_calls(client, calls, WARMUP)
    return {**common.summary_ms(times), "response_bytes": size}


async def _memory(calls: int) -> dict[str, Any]:
    from mcp import Client

    from talking_video_mcp.server import build_server

    home = _home()
    settings = common.settings_from_env({"TALKING_VIDEO_HOME": str(home), "TALKING_VIDEO_LOG_LEVEL": "WARNING"})
    async with Client(build_server(settings)) as client:
        times, size = await _timed_calls(client, calls, WARMUP)
    return {**common.summary_ms(times), "response_bytes": size}


async def _http_calls(url: str, calls: int) -> dict[str, Any]:
    from mcp import Client

    async with Client(url) as client:
        times, size = await _timed_calls(client, calls, WARMUP)
    return {**common.summary_ms(times), "response_bytes": size}


def _http(calls: int) -> dict[str, Any]:
    """`serve --transport http` in its own process; the client in this one."""
    home = _home()
    port = common.free_port()
    with (home / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "talking_video_mcp", "serve", "--transport", "http", "--port", str(port)],
            env=_env(home), cwd=str(common.REPO), stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            common.wait_port(port, proc)
            return anyio.run(_http_calls, f"http://127.0.0.1:{port}/mcp", calls)
        finally:
            common.stop_process(proc)


def run(calls: int = CALLS) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": f"mcp.Client call_tool('list_jobs', {{}}), {calls} sequential calls after {WARMUP} warm-up; "
                  f"ledger of {SEEDED_JOBS} finished jobs (one full page)",
        "transports": {},
    }
    runners: dict[str, Callable[[int], dict[str, Any]]] = {
        "stdio": lambda n: anyio.run(_stdio, n),
        "streamable_http": _http,
        "in_memory": lambda n: anyio.run(_memory, n),
    }
    for name, fn in runners.items():
        try:
            out["transports"][name] = fn(calls)
        except Exception as exc:
            out["transports"][name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return out


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else CALLS), indent=2))
