"""TALKING_VIDEO_SANDBOX=1: every cloud model runs against the in-process emulator, no key needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.server import build_server
from talking_video_mcp.settings import Settings
from tests.helpers import structured, wait_for_job

pytestmark = pytest.mark.anyio


async def test_sandbox_runs_cloud_models_without_keys(home: Path, tmp_path: Path):
    settings = Settings(TALKING_VIDEO_HOME=home, TALKING_VIDEO_SANDBOX=True, TALKING_VIDEO_EMULATOR_SPEED=300.0,
                        TALKING_VIDEO_ALLOWED_ROOTS=[tmp_path])
    async with Client(build_server(settings)) as client:
        account = structured(await client.call_tool("get_account", {}))
        configured = {p["provider"] for p in account["providers"] if p["configured"]}
        assert {"segmind", "unifically", "local"} <= configured
        cloud = [p for p in account["providers"] if p["provider"] != "local"]
        assert cloud and all(p["endpoint"].startswith("http://127.0.0.1:") for p in cloud)
        # A key (here the sandbox's) never makes the default a paid model.
        assert account["default_model"] == "local"
        # Said plainly: the emulator answers, the balances are not real, nothing is charged.
        for provider in account["providers"]:
            if provider["provider"] != "local":
                assert provider["sandbox"] is True
                assert provider["balance"] == 100 or provider["provider"] == "fal", provider  # fal has no balance API
                assert provider["note"].startswith("Sandbox mode (TALKING_VIDEO_SANDBOX): the built-in provider "
                                                   "emulator answers here") and "nothing is charged" in provider["note"]
        presets = structured(await client.call_tool("list_avatar_presets", {"provider": "unifically", "limit": 1}))
        image = presets["presets"][0]["image_url"]
        job: dict[str, Any] = structured(await client.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": image, "script": "Sandbox!"}))
        job = await wait_for_job(client, job)
        assert job["status"] == "completed", job
        # fal's two hosts (queue and storage) both point at the emulator in the sandbox.
        fal = structured(await client.call_tool("generate_talking_video", {
            "model": "fal/kling-avatar-v2-standard", "avatar_preset_id": "grace_hopper", "script": "Sandbox!"}))
        fal = await wait_for_job(client, fal)
        assert fal["status"] == "completed", fal
