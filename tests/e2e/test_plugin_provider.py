"""A provider the product has never heard of (tests/plugins/acme.py), added through the public plug-in API,
works end to end over MCP: list_models, a dry run with its price, submit, poll, failure reason, cancel,
get_account and doctor — with no file under src/ changed for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from pydantic import SecretStr

from talking_video_mcp.providers import registry
from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import error_text, structured, wait_for_job
from tests.plugins import acme

pytestmark = pytest.mark.anyio
FACE = {"avatar_preset_id": "local:grace_hopper"}


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Acme installed as a separate package is: a distribution's metadata on the path, declaring an entry point in
    group talking_video_mcp.providers, found by importlib.metadata exactly as after `pip install acme-video`."""
    site = tmp_path_factory.mktemp("site-packages")
    info = site / "acme_video-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-video\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\nacme = tests.plugins.acme:PLUGIN\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    registry._entry_point_plugins.cache_clear()
    registry._catalog.cache_clear()
    acme.SERVICE.__init__()  # type: ignore[misc]
    yield
    monkeypatch.undo()
    registry._entry_point_plugins.cache_clear()
    registry._catalog.cache_clear()


def acme_settings(home: Path, tmp_path: Path, **extra: Any) -> Any:
    return make_settings(home, tmp_path, "http://127.0.0.1:9", ACME_API_KEY=SecretStr("acme-test-key"), **extra)


async def test_an_installed_provider_runs_a_job_end_to_end(installed: None, home: Path, tmp_path: Path) -> None:
    async with Client(build_server(acme_settings(home, tmp_path))) as client:
        listed = structured(await client.call_tool("list_models", {"configured": True, "script": True}))
        entry = next(m for m in listed["models"] if m["model"] == acme.MODEL)
        assert entry["provider"] == "acme" and entry["configured"] is True
        assert entry["price_per_second_usd"] == 0.1 and entry["limits"] == "speech up to 60 s"
        assert entry["takes"] == ["image", "avatar_preset_id", "script", "voice_id", "prompt", "duration"]
        assert entry["options"]["properties"]["style"]["enum"] == ["calm", "lively"]
        assert listed["default_model"] == "local"  # a key alone never makes the default paid

        args = {"model": acme.MODEL, **FACE, "script": "Hello from Acme.", "duration": 8,
                "prompt": "nod now and then", "options": {"style": "lively"}}
        dry = structured(await client.call_tool("generate_talking_video", {**args, "dry_run": True}))
        assert dry["status"] == "dry_run" and dry["cost_estimate_usd"] == 0.8
        assert dry["request"]["payload"] == {"text": "Hello from Acme.", "voice": "acme-default", "seconds": 8,
                                             "style": "lively", "direction": "nod now and then"}
        assert acme.SERVICE.submits == []

        job = structured(await client.call_tool("generate_talking_video", args))
        assert job["status"] in ("queued", "processing") and job["cost_estimate_usd"] == 0.8
        job = await wait_for_job(client, job, wait_s=1)
        assert job["status"] == "completed", job
        # Every option reached the provider's wire body, once.
        assert acme.SERVICE.submits == [dry["request"]["payload"]]

        account = structured(await client.call_tool("get_account", {}))
        assert next(p for p in account["providers"] if p["provider"] == "acme")["balance"] == 42.0
        assert {"model": acme.MODEL, "option": "per second", "price_usd": 0.1} in [
            {k: r[k] for k in ("model", "option", "price_usd")} for r in account["prices"]]


async def test_its_refusals_name_the_models_that_take_an_argument(installed: None, home: Path,
                                                                  tmp_path: Path) -> None:
    async with Client(build_server(acme_settings(home, tmp_path))) as client:
        base = {"model": acme.MODEL, **FACE, "script": "Hello.", "dry_run": True}
        text = error_text(await client.call_tool("generate_talking_video", {**base, "seed": 3}))
        assert text.startswith("seed: acme/talker-1 does not take it; remove it, or choose a model that takes it: ")
        assert "local" in text and "acme" not in text.split(": ", 2)[2]
        text = error_text(await client.call_tool("generate_talking_video", {**base, "options": {"style": "wild"}}))
        assert text.startswith("options.style: ") and "'calm' or 'lively'" in text
        text = error_text(await client.call_tool("generate_talking_video", {**base, "options": {"quality": "high"}}))
        assert text.startswith("options.quality: is not an option of acme/talker-1 (its options: style)")
        assert "segmind/higgsfield-speech2video" in text
        # And another model refuses Acme's own option, naming Acme's model.
        text = error_text(await client.call_tool("generate_talking_video", {
            "model": "local", **FACE, "script": "Hello.", "dry_run": True, "options": {"style": "calm"}}))
        assert text.startswith("options.style: is not an option of local") and text.endswith(f"{acme.MODEL}.")


async def test_a_failure_says_why_and_a_cancel_stops_it(installed: None, home: Path, tmp_path: Path) -> None:
    async with Client(build_server(acme_settings(home, tmp_path))) as client:
        failing = structured(await client.call_tool("generate_talking_video", {
            "model": acme.MODEL, **FACE, "script": "Please fail."}))
        failing = await wait_for_job(client, failing, wait_s=1)
        assert failing["status"] == "failed" and "no face was visible in the photo" in failing["error"]

        running = structured(await client.call_tool("generate_talking_video", {
            "model": acme.MODEL, **FACE, "script": "Run until canceled."}))
        while running["step"] != "poll":  # submitted (and billed) at Acme: the cancel that can only stop polling
            running = structured(await client.call_tool("check_video_status", {
                "job_id": running["job_id"], "wait_seconds": 0.2}))
        canceled = structured(await client.call_tool("cancel_job", {"job_id": running["job_id"]}))
        assert canceled["status"] == "canceled"
        assert "may still finish and bill" in canceled["next_step"]  # a keyed provider's job, after its submit


async def test_without_its_key_it_is_listed_but_not_configured(installed: None, home: Path, tmp_path: Path) -> None:
    async with Client(build_server(make_settings(home, tmp_path, "http://127.0.0.1:9"))) as client:
        listed = structured(await client.call_tool("list_models", {}))
        assert next(m for m in listed["models"] if m["model"] == acme.MODEL)["configured"] is False
        assert acme.MODEL not in {m["model"] for m in structured(await client.call_tool(
            "list_models", {"configured": True}))["models"]}
        text = error_text(await client.call_tool("generate_talking_video", {
            "model": acme.MODEL, **FACE, "script": "Hi."}))
        assert "ACME_API_KEY" in text


async def test_doctor_checks_its_key(installed: None, home: Path, tmp_path: Path) -> None:
    from talking_video_mcp.doctor import check_keys

    checks = {c.name: c for c in await check_keys(acme_settings(home, tmp_path))}
    assert checks["acme key"].status == "ok" and checks["acme key"].detail == (
        "Acme accepts ACME_API_KEY (balance: 42).")


def test_registering_at_run_time_works_too(home: Path, tmp_path: Path) -> None:
    registry.register_provider(acme.PLUGIN)
    try:
        assert "acme" in {p.name for p in registry.plugins()}
        assert "ACME_API_KEY" in registry.env_vars()
    finally:
        registry.unregister_provider("acme")
    assert "acme" not in {p.name for p in registry.plugins()}
