"""`make demo`: a real MCP stdio session asks the server for a ~10 s offline talking video."""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from talking_video_mcp.providers.registry import FREE_MODEL

DEMO_SCRIPT = (
    "Hello! I am a talking head, rendered entirely on this computer. "
    "No API key, no cloud service, and no internet connection were needed. "
    "Ask your assistant for a script, pick a voice and a face, and I will say it."
)


async def _run(seconds: float) -> int:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    params = StdioServerParameters(command=sys.executable, args=["-m", "talking_video_mcp", "serve"], env=env)
    async with Client(params) as client:
        tools = await client.list_tools()
        print(f"connected over stdio: {len(tools.tools)} tools")
        presets = await client.call_tool("list_avatar_presets", {"provider": FREE_MODEL, "limit": 5})
        preset = _structured(presets)["presets"][0]
        print(f"avatar: {preset['name']} ({preset['avatar_preset_id']})")
        words = DEMO_SCRIPT.split()
        script = " ".join(words[: max(8, int(len(words) * seconds / 10.0))])
        job = _structured(await client.call_tool("generate_talking_video", {
            "model": FREE_MODEL, "avatar_preset_id": preset["avatar_preset_id"], "script": script, "force_new": True,
        }))
        print(f"job {job['job_id']}: {job['status']}")

        tty = sys.stdout.isatty()
        shown = [-1]

        async def show(progress: float, total: float | None, message: str | None) -> None:
            if tty:
                bar = "#" * int(progress * 30)
                print(f"\r  [{bar:<30}] {progress * 100:5.1f}%  {message or ''}      ", end="", flush=True)
            elif int(progress * 10) > shown[0]:
                shown[0] = int(progress * 10)
                print(f"  {progress * 100:5.1f}%  {message or ''}", flush=True)

        while job["status"] in ("queued", "processing"):
            result = await client.call_tool(
                "check_video_status", {"job_id": job["job_id"], "wait_seconds": 30}, progress_callback=show
            )
            job = _structured(result)
        print()
        if job["status"] != "completed":
            print(f"the job ended {job['status']}: {job.get('error')}", file=sys.stderr)
            return 1
        print(f"video: {job['video_path']}")
        return 0


def _structured(result: Any) -> dict[str, Any]:
    if result.is_error:
        text = " ".join(getattr(c, "text", "") for c in result.content)
        raise SystemExit(f"tool error: {text}")
    data: dict[str, Any] = result.structured_content
    return data


def run_demo(seconds: float = 10.0) -> int:
    return anyio.run(_run, seconds)
