"""`tools/list` payload: bytes of the compact JSON of the result, and approximate tokens (chars / 4),
for our server and each peer, fetched over stdio by the same raw JSON-RPC client as the cold start.
Ours is broken down per tool and per part (description, inputSchema, outputSchema, the rest), with
what-if sizes that show where the bytes are. Target: ours < 16 KB.

Run: .venv/bin/python benchmarks/bench_payload.py
"""

from __future__ import annotations

import json
from typing import Any

import common

TARGET_BYTES = 16 * 1024


def _size(value: Any) -> int:
    return len(common.compact_json(value).encode())


def breakdown(result: dict[str, Any]) -> dict[str, Any]:
    """Where the bytes of a tools/list result are."""
    tools: list[dict[str, Any]] = result.get("tools", [])
    parts = {"description": 0, "inputSchema": 0, "outputSchema": 0, "annotations": 0, "other": 0}
    per_tool: dict[str, dict[str, int]] = {}
    for tool in tools:
        parts_of_tool = ("description", "inputSchema", "outputSchema", "annotations")
        sizes: dict[str, int] = {key: _size(tool[key]) for key in parts_of_tool if key in tool}
        sizes["total"] = _size(tool)
        per_tool[str(tool.get("name"))] = sizes
        for key in ("description", "inputSchema", "outputSchema", "annotations"):
            parts[key] += sizes.get(key, 0)
        parts["other"] += sizes["total"] - sum(sizes.get(k, 0) for k in parts if k != "other")
    without_output = {**result, "tools": [{k: v for k, v in t.items() if k != "outputSchema"} for t in tools]}
    seen: set[str] = set()
    deduped = []
    repeated = 0
    for tool in tools:  # keep each distinct outputSchema once (the first tool that returns it)
        schema = common.compact_json(tool.get("outputSchema"))
        if "outputSchema" in tool and schema in seen:
            deduped.append({k: v for k, v in tool.items() if k != "outputSchema"})
            repeated += 1
        else:
            seen.add(schema)
            deduped.append(tool)
    without_annotations = {**result, "tools": [{k: v for k, v in t.items() if k != "annotations"} for t in tools]}
    without_descr_in_props = {**result, "tools": [_strip_property_descriptions(t) for t in tools]}
    return {
        "bytes_by_part": parts,
        "largest_tools": dict(sorted(per_tool.items(), key=lambda item: -item[1]["total"])[:6]),
        "what_if_bytes": {
            "without_outputSchema": _size(without_output),
            f"outputSchema only once per distinct schema ({repeated} repeats dropped)": _size(
                {**result, "tools": deduped}),
            "without_annotations": _size(without_annotations),
            "without_property_descriptions": _size(without_descr_in_props),
        },
    }


def _strip_property_descriptions(tool: dict[str, Any]) -> dict[str, Any]:
    def strip(node: Any, in_properties: bool = False) -> Any:
        if isinstance(node, dict):
            return {k: strip(v, k == "properties") for k, v in node.items()
                    if not (k == "description" and not in_properties)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    out = dict(tool)
    for key in ("inputSchema", "outputSchema"):
        if key in out:
            out[key] = strip(out[key])
    return out


def run(servers: list[common.ServerSpec] | None = None, installs: list[common.PeerInstall] | None = None
        ) -> dict[str, Any]:
    if servers is None:
        servers, installs = common.all_servers(common.log_line)
    results: dict[str, Any] = {}
    ours_bytes: int | None = None
    for spec in servers:
        try:
            hs = common.handshake_once(spec)
        except Exception as exc:
            results[spec.name] = {"ours": spec.ours, "error": str(exc)[:300]}
            continue
        size = common.payload_size(hs.tools)
        entry: dict[str, Any] = {
            "ours": spec.ours,
            "tools": len(hs.tools.get("tools", [])),
            **size,
            "bytes_per_tool": round(size["bytes"] / max(1, len(hs.tools.get("tools", [])))),
        }
        if spec.ours:
            ours_bytes = size["bytes"]
            entry["breakdown"] = breakdown(hs.tools)
            entry["target_bytes"] = TARGET_BYTES
            entry["target_met"] = size["bytes"] < TARGET_BYTES
        results[spec.name] = entry
    for entry in results.values():
        if not entry["ours"] and "bytes" in entry:
            entry["ratio_ours_over_peer"] = common.ratio(ours_bytes, entry["bytes"])
    out: dict[str, Any] = {
        "method": "compact JSON (no spaces, UTF-8) of the tools/list result; tokens ≈ characters / 4",
        "servers": results,
    }
    if installs is not None:
        out["peer_installs"] = {i.name: i.report() for i in installs}
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
