"""The API key never appears in tool results, logs, the ledger, files or the emulator's records."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.models import ACTIVE_STATUSES
from talking_video_mcp.server import build_server
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, make_settings
from tests.helpers import png_bytes, upload

pytestmark = pytest.mark.anyio


def _all_text(home: Path) -> str:
    chunks = []
    for path in home.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


async def test_key_never_leaks(home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: Any):
    caplog.set_level(logging.DEBUG)
    # Only a different key is valid, so the submit is rejected with 401 as well.
    with run_in_thread(EmulatorConfig(speed=300.0)) as good, run_in_thread(
        EmulatorConfig(speed=300.0, valid_keys={"some-other-key"})
    ) as strict:
        outputs: list[str] = []
        for emu in (good, strict):
            settings = make_settings(home, tmp_path, emu.base_url)
            image = upload(good.base_url, png_bytes(), "image/png")
            async with Client(build_server(settings)) as client:
                for args in (
                    {"model": "segmind/heygen-avatar-iv", "image": image, "script": "Secret test."},
                    {"model": "segmind/heygen-avatar-iv", "image": image, "script": "x", "voice_id": "bad voice"},
                ):
                    result = await client.call_tool("generate_talking_video", args)
                    outputs.append(json.dumps(result.model_dump(mode="json")))
                    if not result.is_error:
                        job_id = result.structured_content["job_id"]
                        while True:
                            status = await client.call_tool("check_video_status",
                                                            {"job_id": job_id, "wait_seconds": 5})
                            outputs.append(json.dumps(status.model_dump(mode="json")))
                            if status.structured_content["status"] not in ACTIVE_STATUSES:
                                break
                outputs.append(json.dumps((await client.call_tool("get_account", {})).model_dump(mode="json")))
                outputs.append(json.dumps((await client.call_tool("list_jobs", {})).model_dump(mode="json")))
            outputs.append(json.dumps(emu.stats()))
            outputs.append(json.dumps(emu.requests() if hasattr(emu, "requests") else []))
        rejected = [o for o in outputs if "rejected the API key" in o]
        assert rejected, "the 401 path was not exercised"
    captured = capfd.readouterr()
    haystack = "\n".join([*outputs, caplog.text, captured.out, captured.err, _all_text(home)])
    for key in (FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY):
        assert key not in haystack
        assert key[:12] not in haystack
