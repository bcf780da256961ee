"""Cheap reads under concurrent sessions: 20 streamable-HTTP sessions, each making 25 calls one after another
(after 5 warm-up calls each), all sessions at once; `list_jobs` (a ledger of 20 finished jobs) and
`list_voices` on our server against `ping` on a bare one-tool server on the same SDK (benchmarks/
floor_server.py), measured side by side in the same run: rounds alternate between the servers, so a busy
moment of a shared machine falls on both. Reported: p50/p99 of each and the ratio of ours to the bare one, and
the server process's CPU time per call (from /proc, Linux), which a busy machine disturbs far less than the
latencies: where ours costs no more CPU than the bare server, a latency ratio above 1 is the client's share
(parsing a larger answer) or the machine's noise.

Run: .venv/bin/python benchmarks/bench_concurrent.py [sessions] [calls] [rounds]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import common

SESSIONS = 20
CALLS = 25
WARMUP = 5
ROUNDS = 3
TARGET_RATIO = 1.3


def _env(home: Path) -> dict[str, str]:
    env = common.base_env()
    env.update(TALKING_VIDEO_HOME=str(home), TALKING_VIDEO_LOG_LEVEL="WARNING")
    if os.environ.get("PYTHONPATH"):  # a worktree's sources ahead of the installed ones
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _start(args: list[str], env: dict[str, str], log: Path, port: int) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, *args], env=env, cwd=str(common.REPO), stdout=out,
                                stderr=subprocess.STDOUT)
    common.wait_port(port, proc)
    return proc


class _Gate:
    """Holds the timed calls back until every session is open and warm, then lets them all go at once."""

    def __init__(self, sessions: int) -> None:
        self.waiting = sessions
        self.all_warm = anyio.Event()
        self.go = anyio.Event()

    async def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.all_warm.set()
        await self.go.wait()


async def _session(url: str, tool: str, args: dict[str, Any], calls: int, times: list[float], gate: _Gate) -> None:
    from mcp import Client

    async with Client(url) as client:
        for _ in range(WARMUP):
            result = await client.call_tool(tool, args)
            if result.is_error:
                raise RuntimeError(f"{tool} failed: {result.content}")
        await gate.arrive()
        for _ in range(calls):
            started = time.perf_counter()
            await client.call_tool(tool, args)
            times.append(time.perf_counter() - started)


async def _load(url: str, tool: str, args: dict[str, Any], sessions: int, calls: int) -> list[float]:
    times: list[float] = []
    gate = _Gate(sessions)
    async with anyio.create_task_group() as tg:
        for _ in range(sessions):
            tg.start_soon(_session, url, tool, args, calls, times, gate)
        await gate.all_warm.wait()
        gate.go.set()
    return times


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux); 0 where /proc is absent."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(sessions: int = SESSIONS, calls: int = CALLS, rounds: int = ROUNDS) -> dict[str, Any]:
    from bench_calls import seed_ledger

    home = Path(tempfile.mkdtemp(prefix="tv-bench-concurrent-"))
    seed_ledger(home)
    env = _env(home)
    ours_port, floor_port = common.free_port(), common.free_port()
    ours = _start(["-m", "talking_video_mcp", "serve", "--transport", "http", "--port", str(ours_port)], env,
                  home / "ours.log", ours_port)
    floor = _start([str(common.BENCH_DIR / "floor_server.py"), str(floor_port)], env, home / "floor.log", floor_port)
    samples: dict[str, list[float]] = {"bare_ping": [], "list_jobs": [], "list_voices": []}
    cpu: dict[str, float] = dict.fromkeys(samples, 0.0)
    plan = [("bare_ping", floor, floor_port, "ping", {}), ("list_jobs", ours, ours_port, "list_jobs", {}),
            ("list_voices", ours, ours_port, "list_voices", {"provider": "local"})]
    try:
        for _ in range(rounds):
            for name, proc, port, tool, args in plan:
                before = _cpu_s(proc.pid)
                samples[name] += anyio.run(_load, f"http://127.0.0.1:{port}/mcp", tool, args, sessions, calls)
                cpu[name] += _cpu_s(proc.pid) - before
    finally:
        common.stop_process(ours)
        common.stop_process(floor)
    out: dict[str, Any] = {
        "method": f"{sessions} concurrent streamable-HTTP sessions x {calls} sequential calls, after {WARMUP} "
                  f"warm-up calls each; {rounds} rounds alternating bare server / list_jobs / list_voices; "
                  f"client and servers on this machine ({os.cpu_count()} CPUs)",
        "tools": {name: common.summary_ms(times) for name, times in samples.items()},
    }
    per_session = WARMUP + calls + 2  # initialize and the initialized notification count too
    for name, seconds in cpu.items():
        out["tools"][name]["server_cpu_ms_per_call"] = round(seconds * 1000 / (rounds * sessions * per_session), 2)
    bare = out["tools"]["bare_ping"]
    for name in ("list_jobs", "list_voices"):
        mine = out["tools"][name]
        out["tools"][name]["p99_ratio_to_bare"] = round(mine["p99_ms"] / bare["p99_ms"], 2)
        out["tools"][name]["p50_ratio_to_bare"] = round(mine["p50_ms"] / bare["p50_ms"], 2)
    out["target"] = f"p99 within {TARGET_RATIO}x of the bare server's"
    out["met"] = all(out["tools"][n]["p99_ratio_to_bare"] <= TARGET_RATIO for n in ("list_jobs", "list_voices"))
    return out


if __name__ == "__main__":
    argv = [int(a) for a in sys.argv[1:]]
    print(json.dumps(run(*argv), indent=2))
