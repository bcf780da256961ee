"""benchmarks/results.md from the results document that run.py writes to results.json."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _kb(n: Any) -> str:
    return "–" if not isinstance(n, int | float) else f"{n / 1024:.1f} KB"


def _ratio(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _verdict(met: Any) -> str:
    if met is None:
        return "–"
    return "✅ met" if met else "❌ not met"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _error(section: dict[str, Any]) -> list[str]:
    return [f"**Failed:** `{section['error']}`", ""] if "error" in section else []


def _targets(b: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    cold = b.get("cold_start", {})
    tgt = cold.get("target")
    if tgt:
        peer = cold.get("fastest_peer", {}).get("name", "?")
        rows.append(["Cold start (median, spawn → tools/list)", _fmt(tgt["ours_median_ms"], "ms"),
                     f"≤ fastest Python peer ({peer}: {_fmt(tgt['fastest_python_peer_ms'], 'ms')})",
                     _verdict(tgt["met"])])
    ours_payload = next((v for v in b.get("payload", {}).get("servers", {}).values() if v.get("ours")), None)
    if ours_payload and "bytes" in ours_payload:
        rows.append(["tools/list payload", f"{_fmt(ours_payload['bytes'], 'B')} (~{_fmt(ours_payload['approx_tokens'])}"
                     " tokens)", "< 16 KB (16,384 B)", _verdict(ours_payload.get("target_met"))])
    tr = b.get("traffic", {})
    if "status_requests_per_job_median" in tr:
        rows.append(["Status requests per 5-min job (Speak v2, 306 s)",
                     f"{_fmt(tr['status_requests_per_job_median'], digits=0)} (max "
                     f"{_fmt(tr['status_requests_per_job_max'], digits=0)})", "≤ 12",
                     _verdict(tr["targets"]["status_requests_le_12"])])
        model = tr.get("real_speed_model", {}).get("job_306s", {})
        real = model.get("lag_s")
        speed = _fmt(tr["speed"], digits=0)
        rows.append(["Finish → file on disk (provider s, median)",
                     f"{_fmt(real, 's', 2)} at real speed (schedule replay); "
                     f"{_fmt(tr['lag_provider_s_median'], 's', 2)} measured at ×{speed} (local work counts ×{speed})",
                     "≤ 10 s", _verdict(tr["targets"].get("lag_le_10s_at_real_speed") if real is not None
                                        else tr["targets"]["lag_le_10s"])])
        rows.append(["Rate limit respected (traffic run)", f"{tr['rate_limit_per_min']}/min per key",
                     "never exceeded", _verdict(tr.get("rate_limit_ok"))])
    ld = b.get("load", {})
    if "completed" in ld:
        pr = ld.get("provider_requests", {})
        rows.append([f"{ld['jobs']}-job load: completed", f"{ld['completed']}/{ld['jobs']} ({ld['failed']} failed)",
                     "all complete", _verdict(ld.get("all_completed"))])
        rows.append([f"{ld['jobs']}-job load: rate limit", f"peak {pr.get('peak_per_60s_real')} req / 60 s, "
                     f"{pr.get('requests_429')} × 429", f"≤ {ld['rate_limit_per_min']}/min, no 429",
                     _verdict(not pr.get("limit_exceeded"))])
    rd = b.get("render", {})
    labels = {
        "s_per_video_s": "Local render, s per s of video (512×512)",
        "s_per_video_s_720p": "Local render, s per s of video (720p, head and shoulders)",
        "s_per_video_s_1080p": "Local render, s per s of video (1080p, head and shoulders)",
    }
    for key, target in rd.get("targets", {}).items():
        label = labels.get(key, "Local render, peak RSS")
        unit = "s/s" if key.startswith("s_per_video_s") else "MiB"
        rows.append([label, _fmt(target["value"], unit, 3 if unit == "s/s" else 1), f"≤ {target['limit']:g} {unit}",
                     _verdict(target["met"])])
    eta = b.get("eta", {})
    for label, point in (eta.get("points") or {}).items():
        rows.append([f"Local render ETA at {label} ({_fmt(eta['audio_s'] / 60, digits=0)}-min video)",
                     f"{_fmt(point['eta_s'], 's')} vs {_fmt(point['real_left_s'], 's')} left "
                     f"({point['error'] * 100:+.0f} %)", "within ±30 %", _verdict(point["met"])])
    if eta.get("targets"):
        rows.append(["Local job behind a render", str((eta.get("queued_job") or {}).get("detail")),
                     "says it waits for a render slot, with its place", _verdict(eta["targets"].get(
                         "queued_job_says_it_waits"))])
    elif eta:
        rows.append(["Local render ETA", eta.get("error", "failed"), "within ±30 %", "–"])
    if rd and not rd.get("targets"):
        rows.append(["Local render", rd.get("note") or rd.get("error", "failed"),
                     "≤ 0.2 / 0.5 / 1.0 s/s (512 / 720p / 1080p), ≤ 700 MiB", "–"])
    return rows


def _side_by_side(b: dict[str, Any]) -> list[str]:
    cold = b.get("cold_start", {}).get("servers", {})
    pay = b.get("payload", {}).get("servers", {})
    names = list(dict.fromkeys([*cold, *pay]))
    if not names:
        return []
    rows = []
    for name in names:
        c, p = cold.get(name, {}), pay.get(name, {})
        tl = c.get("tools_list", {})
        rows.append([
            f"**{name}**" if c.get("ours") or p.get("ours") else name,
            c.get("version", "–") or "–", c.get("python", "–") or "–", _fmt(c.get("tools") or p.get("tools")),
            _fmt(tl.get("median_ms"), "ms"), _fmt(tl.get("p90_ms"), "ms"),
            _fmt(c.get("initialize", {}).get("median_ms"), "ms"),
            _ratio(c.get("ratio_ours_over_peer")) if not c.get("ours") and not c.get("reference") else
            ("1.00×" if c.get("ours") else f"ours +{_fmt(c.get('ours_minus_floor_ms'), 'ms')}"),
            _fmt(p.get("bytes"), "B"), _fmt(p.get("approx_tokens")),
            _ratio(p.get("ratio_ours_over_peer")) if not p.get("ours") else "1.00×",
        ])
    lines = ["## Side by side: cold start and tools/list payload", ""]
    method = b.get("cold_start", {}).get("method")
    if method:
        lines += [f"Cold start: {method}. Ratio = ours / peer (below 1 means we are faster or smaller).", ""]
    lines += _table(["server", "version", "Python", "tools", "cold start median", "p90", "initialize median",
                     "ours/peer", "tools/list", "≈ tokens", "ours/peer"], rows)
    counted = b.get("cold_start", {}).get("instructions_to_first_tools_list", {})
    if "ours_minus_floor" in counted:
        lines += ["", f"Instructions from interpreter start to the first tools/list answer (valgrind, the same on "
                  f"every run): floor {counted['floor']:,}, ours {counted['ours']:,}, ours − floor "
                  f"{counted['ours_minus_floor']:,} ({counted['ours_over_floor_percent']}% of the floor's).", ""]
    notes = [f"- {name}: {c['note']}" for name, c in cold.items() if c.get("note")]
    errs = [f"- {name}: {c['errors'][0]}" for name, c in cold.items() if c.get("errors")]
    if notes:
        lines += ["Peer notes:", "", *notes, ""]
    if errs:
        lines += ["Start-up errors:", "", *errs, ""]
    return lines


def _cold_details(cold: dict[str, Any]) -> list[str]:
    if not cold or "error" in cold:
        return _error(cold)
    lines = ["### What our start-up spends", ""]
    base = cold.get("baselines", {})
    rows = [[k, _fmt(v.get("median_ms"), "ms")] for k, v in base.items()]
    floor = next((v for v in cold.get("servers", {}).values() if v.get("reference") and "tools_list" in v), None)
    if floor is not None:
        rows.append(["bare MCPServer on our SDK, spawn → tools/list", _fmt(floor["tools_list"]["median_ms"], "ms")])
    lines += _table(["measure", "median"], rows)
    phases = cold.get("startup_phases_ms", {})
    if phases:
        lines += ["Our start-up path step by step (fresh process each time, in-process timers, median of 5; the "
                  "lifespan runs before the first answer):", ""]
        lines += _table(["step", "ms"], [[k, _fmt(v, "ms") if isinstance(v, int | float) else str(v)]
                                         for k, v in phases.items()])
    prof = cold.get("import_profile", {})
    if prof:
        lines += [f"`python -X importtime` of `serve` (profiler-inflated; {prof.get('modules_imported')} modules, "
                  f"{_fmt(prof.get('total_import_ms'), 'ms')} of imports). Heaviest imports (cumulative):", ""]
        lines += _table(["module", "cumulative"], [[f"`{k}`", _fmt(v, "ms")]
                                                   for k, v in prof.get("heaviest_imports_cumulative_ms", {}).items()])
        lines += ["Self time by top-level package:", ""]
        lines += _table(["package", "self"], [[f"`{k}`", _fmt(v, "ms")]
                                              for k, v in prof.get("self_ms_by_package", {}).items()])
    return lines


def _payload_details(pay: dict[str, Any]) -> list[str]:
    ours = next((v for v in pay.get("servers", {}).values() if v.get("ours")), None)
    if not ours or "breakdown" not in ours:
        return _error(pay)
    bd = ours["breakdown"]
    lines = ["### Where our tools/list bytes are", ""]
    lines += _table(["part", "bytes"], [[k, _fmt(v, "B")] for k, v in bd["bytes_by_part"].items()])
    lines += _table(["largest tools", "total", "inputSchema", "outputSchema", "description"],
                    [[f"`{k}`", _fmt(v.get("total"), "B"), _fmt(v.get("inputSchema"), "B"),
                      _fmt(v.get("outputSchema"), "B"), _fmt(v.get("description"), "B")]
                     for k, v in bd["largest_tools"].items()])
    lines += _table(["what if", "bytes"], [[k.replace("_", " "), _fmt(v, "B")] for k, v in bd["what_if_bytes"].items()])
    return lines


def _calls(calls: dict[str, Any]) -> list[str]:
    if not calls:
        return []
    lines = ["## Tool-call overhead: `list_jobs`", "", calls.get("method", ""), "", *_error(calls)]
    rows = []
    for name, t in calls.get("transports", {}).items():
        if "error" in t:
            rows.append([name, "failed", t["error"][:120], "", "", ""])
            continue
        rows.append([name, _fmt(t.get("p50_ms"), "ms", 2), _fmt(t.get("p99_ms"), "ms", 2),
                     _fmt(t.get("mean_ms"), "ms", 2), _fmt(t.get("n"), digits=0), _fmt(t.get("response_bytes"), "B")])
    return lines + _table(["transport", "p50", "p99", "mean", "calls", "response"], rows)


def _concurrent(cc: dict[str, Any]) -> list[str]:
    if not cc:
        return []
    lines = ["## Cheap reads under 20 concurrent HTTP sessions, beside a bare SDK server", "", cc.get("method", ""), "",
             *_error(cc)]
    rows = [[f"`{name}`", _fmt(t.get("p50_ms"), "ms", 1), _fmt(t.get("p99_ms"), "ms", 1),
             _fmt(t.get("p99_ratio_to_bare"), "x", 2), _fmt(t.get("server_cpu_ms_per_call"), "ms", 2)]
            for name, t in cc.get("tools", {}).items()]
    verdict = "met" if cc.get("met") else "not met"
    return lines + _table(["tool", "p50", "p99", "p99 / bare", "server CPU per call"], rows) + [
        f"Target: {cc.get('target', '')} ({verdict} in this run).", ""]


def _traffic(tr: dict[str, Any]) -> list[str]:
    if not tr:
        return []
    lines = ["## Provider traffic of a 5-minute job", "", tr.get("method", ""), "", *_error(tr)]
    if "per_job" not in tr:
        return lines
    rows = []
    for i, j in enumerate(tr["per_job"]):
        rows.append([str(i + 1), j.get("status", "?"), _fmt(j.get("status_requests")),
                     ", ".join(f"{k.split('.')[-1]} {v}" for k, v in j.get("requests_by_endpoint", {}).items()),
                     _fmt(j.get("lag_provider_s"), "s", 2), _fmt(j.get("detect_lag_provider_s"), "s", 2),
                     _fmt(j.get("fetch_real_ms"), "ms"), _fmt(j.get("peak_per_60s_real")), _fmt(j.get("requests_429"))])
    lines += _table(["job", "status", "status requests", "all requests", "lag (provider s)", "of which polling",
                     "fetch (real)", "peak / 60 s", "429s"], rows)
    model = tr.get("real_speed_model", {})
    if "job_306s" in model:
        sweep = model["run_time_0.8_to_1.2x"]
        lines += [
            "Time compression multiplies every real millisecond of local work by the speed, so each dense poll "
            f"drifts ~{model['per_poll_overhead_real_ms']} ms × {tr['speed']:g} later than scheduled; when the "
            "drift carries a dense poll scheduled just before the 306 s finish past it, the measured lag drops "
            "to ~1 s, otherwise it is ~9–10 s. The product's own schedule (`next_poll_delay`) replayed at real "
            "speed with the measured per-poll overhead and fetch time gives:",
            "",
        ]
        lines += _table(["case", "status requests", "lag (s)"], [
            ["the 306 s job", _fmt(model["job_306s"]["status_requests"]), _fmt(model["job_306s"]["lag_s"], "", 2)],
            ["run times 0.8–1.2 × 306 s (median)", _fmt(sweep["status_requests_median"], digits=0),
             _fmt(sweep["lag_s_median"], "", 2)],
            ["run times 0.8–1.2 × 306 s (worst)", _fmt(sweep["status_requests_max"], digits=0),
             _fmt(sweep["lag_s_max"], "", 2)],
        ])
    return lines


def _load(ld: dict[str, Any]) -> list[str]:
    if not ld:
        return []
    lines = [f"## {ld.get('jobs', 200)}-job load run", "", ld.get("method", ""), "", *_error(ld)]
    if "completed" not in ld:
        return lines
    pr = ld.get("provider_requests", {})
    rows = [
        ["jobs completed / failed", f"{ld['completed']} / {ld['failed']}"],
        ["run time (submit first → last done)", _fmt(ld.get("run_s"), "s")],
        ["submitting all jobs", f"{_fmt(ld.get('submit_all_s'), 's')} (call p50 "
                                f"{_fmt(ld['submit_call'].get('p50_ms'), 'ms')}, p99 "
                                f"{_fmt(ld['submit_call'].get('p99_ms'), 'ms')})"],
        ["`check_video_status` during the load", f"p50 {_fmt(ld['check_video_status'].get('p50_ms'), 'ms', 2)}, "
                                                 f"p99 {_fmt(ld['check_video_status'].get('p99_ms'), 'ms', 2)} "
                                                 f"({_fmt(ld['check_video_status'].get('n'), digits=0)} calls)"],
        ["`list_jobs` during the load", f"p50 {_fmt(ld['list_jobs'].get('p50_ms'), 'ms', 2)}, "
                                        f"p99 {_fmt(ld['list_jobs'].get('p99_ms'), 'ms', 2)} "
                                        f"({_fmt(ld['list_jobs'].get('n'), digits=0)} calls)"],
        ["provider requests", f"{pr.get('requests')} ("
                              + ", ".join(f"{k} {v}" for k, v in pr.get("by_endpoint", {}).items()) + ")"],
        ["peak requests in any 60 s (real) window", f"{pr.get('peak_per_60s_real')} (answered: "
                                                    f"{pr.get('peak_per_60s_real_answered')}) vs limit "
                                                    f"{pr.get('limit_per_min')}"],
        ["429 answers from the emulator", f"{pr.get('requests_429')}"
         + (f" (at {pr.get('first_429_s_after_first_request')} s after the first request)"
            if pr.get("requests_429") else "")],
        ["status requests per job", _fmt(ld.get("status_requests_per_job"), digits=2)],
    ]
    for model, d in ld.get("job_duration", {}).items():
        rows.append([f"job time {model} (provider s)",
                     f"p50 {_fmt(d['p50_provider_s'])}, max {_fmt(d['max_provider_s'])}"])
    if ld.get("errors"):
        rows.append(["errors", "; ".join(f"{n}× {e}" for e, n in ld["errors"].items())])
    return lines + _table(["measure", "value"], rows)


def _render(rd: dict[str, Any]) -> list[str]:
    if not rd:
        return []
    lines = ["## Local render (benchmarks/bench_render.py)", ""]
    if not rd.get("available", True) or "figures" not in rd:
        return [*lines, rd.get("note") or f"Failed: `{rd.get('error')}`", ""]
    return lines + _table(["figure", "value"], [[k, _fmt(v, digits=3)] for k, v in rd["figures"].items()])


def _installs(b: dict[str, Any]) -> list[str]:
    installs = b.get("cold_start", {}).get("peer_installs") or b.get("payload", {}).get("peer_installs") or {}
    if not installs:
        return []
    rows = []
    for name, i in installs.items():
        how = ("reused" if i.get("reused_venv") else "installed") if i.get("ok") else "FAILED"
        rows.append([name, how, _fmt(i.get("install_s"), "s"), i.get("version", "–"), i.get("python", "–"),
                     i.get("note") or i.get("error") or ""])
    return ["## Peer installs (benchmarks/.venvs/)", "", *_table(
        ["package", "result", "time", "version", "Python", "notes"], rows)]


def markdown(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    b = results.get("benchmarks", {})
    lines = [
        "# talking-video-mcp benchmarks",
        "",
        f"Measured {m.get('date_utc')} on {m.get('cpu_count')} CPU ({m.get('cpu_model') or '?'}), "
        f"{m.get('memory_gib')} GiB, Python {m.get('python')}, mcp SDK {m.get('mcp_sdk')}, {m.get('platform')}; "
        f"load average at start {m.get('load_avg')}. Whole run: {_fmt(results.get('total_wall_s'), 's')} "
        f"({', '.join(f'{k} {v} s' for k, v in results.get('timings_s', {}).items())})."
        + (" **Quick mode: fewer repetitions, not for reporting.**" if results.get("quick") else ""),
        "",
        "Absolute times depend on the machine; the ours/peer ratios are the figures to compare across machines.",
        "Regenerate with `make bench` (or `.venv/bin/python benchmarks/run.py --only cold_start,payload`).",
        "",
    ]
    stale = {k: v.get("measured_at") for k, v in b.items() if k not in results.get("selected", [])}
    if stale:
        lines += ["Sections kept from an earlier run: " + ", ".join(f"{k} ({v})" for k, v in stale.items()), ""]
    lines += ["## Targets", ""]
    lines += _table(["measure", "ours", "target", "verdict"], _targets(b))
    lines += _side_by_side(b)
    lines += _error(b.get("cold_start", {})) + _cold_details(b.get("cold_start", {}))
    lines += _payload_details(b.get("payload", {}))
    lines += _calls(b.get("calls", {}))
    lines += _concurrent(b.get("concurrent", {}))
    lines += _traffic(b.get("traffic", {}))
    lines += _render(b.get("render", {}))
    lines += _load(b.get("load", {}))
    lines += _installs(b)
    return "\n".join(lines).rstrip() + "\n"
