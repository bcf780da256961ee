"""Cold start: spawn → `initialize` answered → `tools/list` answered, over stdio.

Every server is started the same way by a raw JSON-RPC client (common.RawStdioClient), timed with
time.perf_counter from just before Popen to the tools/list response. Runs are interleaved round-robin
(ours, peer 1, peer 2, ..., ours, ...) so that background load on the machine hits every server alike;
one warm-up start per server is not counted (it writes byte-code caches and fills the page cache:
what is measured is a process start on a machine where the server has run before).

Also measured, to explain our figure: the interpreter alone, importing the MCP SDK's server module,
and a `-X importtime` profile of our start-up path.

Run: .venv/bin/python benchmarks/bench_cold_start.py [runs]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import common

RUNS = 15
WARMUP = 1


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(common.percentile(values, 50) * 1000, 1),
        "p90_ms": round(common.percentile(values, 90) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def _time_python(argv: list[str], runs: int) -> dict[str, float]:
    """Median wall time of a short Python command, spawn to exit."""
    times = []
    env = common.base_env()
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env, timeout=60)
        times.append(time.perf_counter() - start)
    return {"median_ms": round(common.percentile(times, 50) * 1000, 1), "runs": len(times)}


# Our start-up path, step by step, in a fresh process (so every import is a first import). Each step is
# timed on its own; steps that do not exist in this version of the product are reported as missing.
_PHASES = r"""
import json, sys, tempfile, time
out = {}
def step(name, fn):
    t = time.perf_counter()
    try:
        fn()
        out[name] = round((time.perf_counter() - t) * 1000, 1)
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"[:120]
step("import mcp.server.mcpserver (the SDK)", lambda: __import__("mcp.server.mcpserver"))
step("import talking_video_mcp.settings", lambda: __import__("talking_video_mcp.settings"))
from talking_video_mcp.settings import Settings
holder = {}
step("Settings()", lambda: holder.update(s=Settings(TALKING_VIDEO_HOME=tempfile.mkdtemp())))
def storage():
    from talking_video_mcp.jobs.home import check_storage
    check_storage(holder["s"])
step("serve's storage check (home folder, ledger header read)", storage)
step("import talking_video_mcp.server (wiring, player extension)", lambda: __import__("talking_video_mcp.server"))
from talking_video_mcp.server import build_server
step("build_server() (tools deferred to their first call)", lambda: holder.update(m=build_server(holder["s"])))
import anyio
async def tools():
    await holder["m"].list_tools()
step("list_tools() (the shipped snapshot)", lambda: anyio.run(tools))
def later():
    holder["m"].register_tools()
step("after the first answers: tool registration", later)
async def enter():
    from talking_video_mcp.runtime import app_state
    t = time.perf_counter()
    async with app_state(holder["s"], run_jobs=False):
        holder["enter"] = round((time.perf_counter() - t) * 1000, 1)
step("after the first answers: services opened (ledger, providers, runner)", lambda: anyio.run(enter))
print(json.dumps(out))
"""


def startup_phases(runs: int = 5) -> dict[str, Any]:
    """Median of each step of our start-up path over `runs` fresh processes (in-process timers, so
    interpreter start and exit are not included)."""
    samples: dict[str, list[float]] = defaultdict(list)
    failed: dict[str, str] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _PHASES], capture_output=True, text=True,
                              env=common.base_env(), cwd=tempfile.gettempdir(), timeout=120)
        if done.returncode != 0:
            return {"error": " | ".join(done.stderr.strip().splitlines()[-3:])[:400]}
        for name, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
            if isinstance(value, int | float):
                samples[name].append(float(value))
            else:
                failed[name] = str(value)
    out: dict[str, Any] = {name: round(common.percentile(v, 50), 1) for name, v in samples.items()}
    out.update({name: f"n/a ({why})" for name, why in failed.items() if name not in out})
    return out


def import_profile(top: int = 12) -> dict[str, Any]:
    """`python -X importtime` of our real start-up path (serve over stdio, handshake answered).

    The profiler inflates absolute times; the shares are what matter."""
    spec = common.our_server()
    spec.command = [sys.executable, "-X", "importtime", "-m", "talking_video_mcp", "serve"]
    log = Path(tempfile.mkstemp(prefix="bench-importtime-", suffix=".log")[1])
    client = common.RawStdioClient(spec, log)
    try:
        client.handshake(60)
    finally:
        client.close()
    rows: list[tuple[int, int, int, str]] = []
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match[1]), int(match[2]), (len(match[3]) - 1) // 2, match[4]))
    log.unlink(missing_ok=True)
    total_us = sum(r[1] for r in rows if r[2] == 0)
    by_package: dict[str, int] = defaultdict(int)
    for self_us, _, _, name in rows:
        by_package[name.split(".")[0]] += self_us
    # Our own modules and what each of them pulls in (cumulative), first-level imports only.
    ours = sorted(
        ((name, cum) for _, cum, depth, name in rows if name.startswith("talking_video_mcp") and depth <= 2),
        key=lambda item: -item[1],
    )
    heavy = sorted(((name, cum) for _, cum, depth, name in rows if depth <= 3 and cum > 20_000), key=lambda i: -i[1])
    return {
        "total_import_ms": round(total_us / 1000, 1),
        "modules_imported": len(rows),
        "self_ms_by_package": {k: round(v / 1000, 1) for k, v in sorted(by_package.items(), key=lambda i: -i[1])[:top]},
        "our_modules_cumulative_ms": {k: round(v / 1000, 1) for k, v in ours[:top]},
        "heaviest_imports_cumulative_ms": {k: round(v / 1000, 1) for k, v in heavy[:top]},
    }


def instructions() -> dict[str, Any]:
    """Instructions from interpreter start to the first tools/list answer, ours and the floor's, counted by
    valgrind (callgrind): the same count on every run, whatever else the machine is doing, so the difference
    holds where wall times on a shared machine are too noisy for a few tens of milliseconds."""
    if shutil.which("valgrind") is None:
        return {"skipped": "valgrind is not installed (apt-get install valgrind)"}
    counts: dict[str, int] = {}
    for which in ("floor", "ours"):
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             str(common.BENCH_DIR / "cold_start_probe.py"), which],
            capture_output=True, text=True, env=common.base_env(), timeout=600, check=False,
        )
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or found is None:
            return {"error": f"{which}: {done.stderr.strip().splitlines()[-1:]}"}
        counts[which] = int(found.group(1))
    extra = counts["ours"] - counts["floor"]
    return {"floor": counts["floor"], "ours": counts["ours"], "ours_minus_floor": extra,
            "ours_over_floor_percent": round(100 * extra / counts["floor"], 1)}


def run(runs: int = RUNS, warmup: int = WARMUP, servers: list[common.ServerSpec] | None = None,
        installs: list[common.PeerInstall] | None = None) -> dict[str, Any]:
    if servers is None:
        servers, installs = common.all_servers(common.log_line)
    servers = [*servers, common.floor_server()]
    samples: dict[str, list[common.Handshake]] = {s.name: [] for s in servers}
    errors: dict[str, list[str]] = {s.name: [] for s in servers}
    alive = list(servers)
    for spec in servers:
        for _ in range(warmup):
            try:
                common.handshake_once(spec)
            except Exception as exc:
                errors[spec.name].append(f"warm-up: {exc}")
        if len(errors[spec.name]) >= max(1, warmup):
            alive.remove(spec)
    for round_no in range(runs):
        order = alive if round_no % 2 == 0 else list(reversed(alive))
        for spec in order:
            try:
                samples[spec.name].append(common.handshake_once(spec))
            except Exception as exc:
                errors[spec.name].append(str(exc)[:300])
    results: dict[str, Any] = {}
    for spec in servers:
        got = samples[spec.name]
        entry: dict[str, Any] = {
            "ours": spec.ours, "reference": spec.reference, "version": spec.version, "python": spec.python,
            "runs": len(got),
            "failures": len(errors[spec.name]),
        }
        if spec.note:
            entry["note"] = spec.note
        if got:
            entry["tools_list"] = _stats([h.tools_list_s for h in got])
            entry["initialize"] = _stats([h.initialize_s for h in got])
            entry["protocol_version"] = got[0].protocol_version
            entry["server_info"] = got[0].server_info
            entry["tools"] = len(got[0].tools.get("tools", []))
        if errors[spec.name]:
            entry["errors"] = errors[spec.name][:3]
        results[spec.name] = entry
    ours_name = next(s.name for s in servers if s.ours)
    ours_median = results[ours_name].get("tools_list", {}).get("median_ms")
    peers = {n: r for n, r in results.items() if not r["ours"] and not r["reference"] and "tools_list" in r}
    for entry in peers.values():
        entry["ratio_ours_over_peer"] = common.ratio(ours_median, entry["tools_list"]["median_ms"])
    floor = next((r for r in results.values() if r["reference"] and "tools_list" in r), None)
    if floor is not None and ours_median is not None:
        floor["ours_minus_floor_ms"] = round(ours_median - floor["tools_list"]["median_ms"], 1)
    fastest = min(peers.items(), key=lambda item: item[1]["tools_list"]["median_ms"], default=None)
    out: dict[str, Any] = {
        "method": "raw JSON-RPC over stdio, protocol " + common.PROTOCOL_VERSION + f"; {runs} interleaved runs "
                  f"per server after {warmup} warm-up start(s); Popen → tools/list answered",
        "servers": results,
        "baselines": {"python -c pass (spawn → exit)": _time_python([sys.executable, "-c", "pass"], 7)},
        "startup_phases_ms": startup_phases(),
        "instructions_to_first_tools_list": instructions(),
        "import_profile": import_profile(),
    }
    if fastest is not None:
        out["fastest_peer"] = {"name": fastest[0], "median_ms": fastest[1]["tools_list"]["median_ms"]}
        out["target"] = {
            "ours_median_ms": ours_median,
            "fastest_python_peer_ms": fastest[1]["tools_list"]["median_ms"],
            "met": ours_median is not None and ours_median <= fastest[1]["tools_list"]["median_ms"],
        }
    if installs is not None:
        out["peer_installs"] = {i.name: i.report() for i in installs}
    return out


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS), indent=2))
