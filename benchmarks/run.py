"""`make bench`: every benchmark in one run, side by side with other MCP servers.

Writes benchmarks/results.json (everything measured) and benchmarks/results.md (the tables).

    .venv/bin/python benchmarks/run.py                      # all of them (~10 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --only cold_start,payload
    .venv/bin/python benchmarks/run.py --skip load --quick  # fewer repetitions, for a smoke test

With --only/--skip, the sections not run are kept from the previous results.json (each section
carries the date it was measured). A benchmark that fails is reported as failed; the run goes on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import common  # benchmarks/ is sys.path[0] when this file is run as a script
import report

BENCHMARKS = ("cold_start", "payload", "calls", "concurrent", "traffic", "render", "eta", "load")
RESULTS_JSON = common.BENCH_DIR / "results.json"
RESULTS_MD = common.BENCH_DIR / "results.md"
RENDER_MARK = "@@BENCH_RENDER@@"
RENDER_TARGETS = {"s_per_video_s": 0.2, "s_per_video_s_720p": 0.5, "s_per_video_s_1080p": 1.0, "peak_rss_mib": 700.0}


def run_render(timeout_s: float = 480.0) -> dict[str, Any]:
    """benchmarks/bench_render.py's run(), in a subprocess of its own (if that file exists yet)."""
    path = common.BENCH_DIR / "bench_render.py"
    if not path.exists():
        return {"available": False, "note": "not available: benchmarks/bench_render.py does not exist yet"}
    code = f"import json, bench_render; print({RENDER_MARK!r} + json.dumps(bench_render.run()))"
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=str(common.BENCH_DIR), capture_output=True,
                              text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"available": True, "error": f"bench_render.run() took longer than {timeout_s:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RENDER_MARK)]
    if done.returncode != 0 or not lines:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-4:])[:600]
        return {"available": True, "error": f"bench_render.run() failed (exit {done.returncode}): {tail}"}
    figures: dict[str, Any] = json.loads(lines[-1][len(RENDER_MARK):])
    out: dict[str, Any] = {"available": True, "figures": figures, "targets": {}}
    for key, limit in RENDER_TARGETS.items():
        value = figures.get(key)
        out["targets"][key] = {"limit": limit, "value": value,
                               "met": isinstance(value, int | float) and value <= limit}
    return out


def _runners(quick: bool) -> dict[str, Callable[[], dict[str, Any]]]:
    import bench_calls
    import bench_cold_start
    import bench_concurrent
    import bench_eta
    import bench_load
    import bench_payload
    import bench_traffic

    def cold_start() -> dict[str, Any]:
        servers, installs = common.all_servers(common.log_line)
        return bench_cold_start.run(runs=5 if quick else bench_cold_start.RUNS, servers=servers, installs=installs)

    def payload() -> dict[str, Any]:
        servers, installs = common.all_servers(common.log_line)
        return bench_payload.run(servers=servers, installs=installs)

    return {
        "cold_start": cold_start,
        "payload": payload,
        "calls": lambda: bench_calls.run(100 if quick else bench_calls.CALLS),
        "concurrent": lambda: bench_concurrent.run(rounds=1 if quick else bench_concurrent.ROUNDS),
        "traffic": lambda: bench_traffic.run(jobs=2 if quick else bench_traffic.JOBS),
        "render": run_render,
        "eta": lambda: bench_eta.run(120.0 if quick else bench_eta.AUDIO_S),
        "load": lambda: bench_load.run(jobs=40 if quick else bench_load.JOBS),
    }


def _select(only: str | None, skip: str | None) -> list[str]:
    names = list(BENCHMARKS)
    if only:
        wanted = [n.strip() for n in only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in BENCHMARKS]
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
        names = [n for n in BENCHMARKS if n in wanted]
    if skip:
        names = [n for n in names if n not in {s.strip() for s in skip.split(",")}]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--skip", help="comma-separated benchmarks to leave out")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test, not for reporting)")
    args = parser.parse_args(argv)
    names = _select(args.only, args.skip)

    previous: dict[str, Any] = {}
    if len(names) < len(BENCHMARKS) and RESULTS_JSON.exists():
        try:
            previous = json.loads(RESULTS_JSON.read_text()).get("benchmarks", {})
        except ValueError:
            previous = {}
    started = time.perf_counter()
    common.log_line(f"benchmarks: {', '.join(names)}{' (quick)' if args.quick else ''}")
    results: dict[str, Any] = {
        "machine": common.machine_facts(),
        "quick": args.quick,
        "selected": names,
        "benchmarks": {k: v for k, v in previous.items() if k in BENCHMARKS and k not in names},
        "timings_s": {},
    }
    runners = _runners(args.quick)
    for name in names:
        common.log_line(f"{name} ...")
        t0 = time.perf_counter()
        try:
            section = runners[name]()
        except Exception as exc:
            section = {"error": f"{type(exc).__name__}: {exc}"[:800],
                       "traceback": traceback.format_exc().splitlines()[-6:]}
        section["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        section["bench_wall_s"] = round(time.perf_counter() - t0, 1)
        results["benchmarks"][name] = section
        results["timings_s"][name] = section["bench_wall_s"]
        common.log_line(f"{name} done in {section['bench_wall_s']} s" + (" (FAILED)" if "error" in section else ""))
        _write(results, started)  # partial results survive an interrupted run
    total = _write(results, started)
    common.log_line(f"all done in {total:.0f} s → {RESULTS_MD.relative_to(common.REPO)}, "
                    f"{RESULTS_JSON.relative_to(common.REPO)}")
    return 0


def _write(results: dict[str, Any], started: float) -> float:
    total = time.perf_counter() - started
    results["total_wall_s"] = round(total, 1)
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    RESULTS_MD.write_text(report.markdown(results))
    return total


if __name__ == "__main__":
    sys.exit(main())
