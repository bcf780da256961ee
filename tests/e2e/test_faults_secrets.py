"""No artefact of a full run holds an API key: tool results, the server's own stderr log (at DEBUG),
the ledger, every file under TALKING_VIDEO_HOME, and the emulators' stats and request logs, after
runs that took the error paths too: the provider refusing the key (401) on every endpoint the server
uses, and the network failing during paid submits and reads.

(Extends tests/e2e/test_secrets.py, which covers the in-process path, to a real server process.)"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.emulator import EmulatorConfig, FaultRule, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle
from talking_video_mcp.models import ACTIVE_STATUSES
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, env_for, make_settings
from tests.helpers import png_bytes, upload
from tests.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SPEED = 300.0
KEYS = (FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY)
SUBMIT_FAULTS = ("reset", "timeout", "malformed", "500", "drop-after-commit")


def leaks(text: str) -> list[str]:
    """The keys (or their first 12 characters) found in `text`."""
    return [key for key in KEYS if key in text or key[:12] in text]


async def call(client: Client, outputs: list[str], tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    outputs.append(json.dumps(result.model_dump(mode="json")))
    return dict(result.structured_content or {})


async def run_job(client: Client, outputs: list[str], tool: str, args: dict[str, Any]) -> str:
    job = await call(client, outputs, tool, {**args, "force_new": True})
    deadline = time.monotonic() + 30
    while job.get("status") in ACTIVE_STATUSES:
        assert time.monotonic() < deadline, job
        job = await call(client, outputs, "check_video_status", {"job_id": job["job_id"], "wait_seconds": 3})
    return str(job.get("status", "tool error"))


async def scenario(client: Client, outputs: list[str], paying: EmulatorHandle, refusing: str,
                   image_url: str, image_path: str) -> list[str]:
    """Every tool, jobs on both providers (one of which refuses the key), and paid submits that break."""
    for tool, args in (("get_account", {}), ("list_voices", {}), ("list_voices", {"provider": "unifically"}),
                       ("list_avatar_presets", {"provider": "unifically"}), ("list_motions", {}),
                       ("list_sounds", {}), ("list_jobs", {})):
        await call(client, outputs, tool, args)
    heygen = {"model": "segmind/heygen-avatar-iv", "image": image_url, "script": "Keys stay home."}
    image_video = {"image": image_url, "prompt": "slow zoom in"}
    statuses = [
        await run_job(client, outputs, "generate_talking_video", heygen),
        await run_job(client, outputs, "generate_talking_video", {**heygen, "image": image_path}),  # an upload
        await run_job(client, outputs, "generate_video_from_image", image_video),
        await run_job(client, outputs, "text_to_speech", {"text": "Hello.", "provider": "unifically",
                                                          "voice_id": "no-such-voice"}),
    ]
    paid = ("segmind.submit", "generate_talking_video", heygen) if refusing == "unifically" else (
        "unifically.generate", "generate_video_from_image", image_video)
    for fault in SUBMIT_FAULTS:
        paying.add_fault(FaultRule(paid[0], fault, 1))
        statuses.append(await run_job(client, outputs, paid[1], paid[2]))
    reads = ("segmind.status", "files") if refusing == "unifically" else ("unifically.feed", "files")
    paying.add_fault(FaultRule(reads[0], "500", 1))
    paying.add_fault(FaultRule(reads[1], "truncated", 1))
    statuses.append(await run_job(client, outputs, paid[1], paid[2]))
    return statuses


async def test_no_artefact_of_a_full_run_holds_a_key(home: Path, tmp_path: Path) -> None:
    outputs: list[str] = []
    logs: list[Path] = []
    statuses: list[str] = []
    image_path = tmp_path / "face.png"
    image_path.write_bytes(png_bytes())
    with run_in_thread(EmulatorConfig(speed=SPEED, timeout_delay_s=3.0)) as good, run_in_thread(
        EmulatorConfig(speed=SPEED, valid_keys={"only-this-key-works"})
    ) as strict:
        image_url = upload(good.base_url, png_bytes(), "image/png")
        for refusing in ("segmind", "unifically"):
            segmind_emu, unifically_emu = (strict, good) if refusing == "segmind" else (good, strict)
            settings = make_settings(
                home, tmp_path, good.base_url, SEGMIND_BASE_URL=segmind_emu.base_url,
                SEGMIND_UPLOAD_URL=f"{segmind_emu.base_url}/upload-asset", UNIFICALLY_BASE_URL=unifically_emu.base_url,
                TALKING_VIDEO_LOG_LEVEL="DEBUG", TALKING_VIDEO_TIME_SCALE=SPEED, TALKING_VIDEO_HTTP_TIMEOUT=1.0,
                TALKING_VIDEO_DAILY_BUDGET_USD=1000,
            )
            logs.append(tmp_path / f"server-{refusing}-refuses.log")
            server = ServerProcess(env_for(settings), logs[-1])
            try:
                async with Client(server.url) as client:
                    statuses += await scenario(client, outputs, good, refusing, image_url, str(image_path))
            finally:
                server.stop()
        emulator_records = [json.dumps(emu.stats()) + json.dumps(emu.requests()) for emu in (good, strict)]

    # The error paths were taken: both providers refused the key, and paid submits broke.
    joined = "\n".join(outputs)
    assert "Segmind rejected the API key" in joined and "Unifically rejected the API key" in joined
    assert statuses.count("submit_unknown") >= 2 * (len(SUBMIT_FAULTS) - 1), statuses
    assert "completed" in statuses and "failed" in statuses
    log_text = "\n".join(p.read_text(errors="replace") for p in logs)
    assert "DEBUG" in log_text or "INFO" in log_text, "the server logged nothing"

    artefacts = {f"tool result {i}": text for i, text in enumerate(outputs)}
    artefacts.update({str(p): p.read_bytes().decode("latin-1") for p in logs})
    artefacts.update({str(p): p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file()})
    artefacts.update({f"emulator {i}": text for i, text in enumerate(emulator_records)})
    assert any(name.endswith("jobs.sqlite") for name in artefacts), "the ledger was not read"
    found = {name: leaks(text) for name, text in artefacts.items() if leaks(text)}
    assert not found, found
