"""The three ways in that the README gives, as a user takes them, from the release `make dist bundle` builds:

* the wheel in a fresh virtual environment (the from-source way ends in the same install), run from a folder
  outside the repository: `--version`, `doctor`, `demo` and a stdio `tools/list`;
* `uv tool run --from <wheel> talking-video-mcp serve` (what `uvx talking-video-mcp serve` does);
* the MCP Bundle: `mcpb validate` (the official CLI from npm) passes on its manifest, and the server started
  the way `server.mcp_config` says, with the user's settings substituted, answers `tools/list`.

The first test builds the release and the environments once per session; uv and pip reuse their caches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from talking_video_mcp import __version__
from tests.helpers import png_bytes

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

ROOT = Path(__file__).resolve().parents[2]
MCPB_VERSION = "2.1.2"  # @anthropic-ai/mcpb, installed into a cache folder these tests own
SIX_TOOLS = {"generate_talking_video", "check_video_status", "list_voices", "list_avatar_presets", "list_jobs",
             "get_account"}


@dataclass(frozen=True)
class Release:
    wheel: Path
    sdist: Path
    bundle: Path


def _run(cmd: list[str], *, timeout: float = 600, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _uv() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def _user_env(home: Path) -> dict[str, str]:
    """A user's environment: none of the server's settings, no PYTHONPATH or active venv pointing at this
    checkout, and uv told to use this Python rather than download one (its index and cache settings stay)."""
    drop = ("SEGMIND", "UNIFICALLY", "TALKING_VIDEO", "PYTHONPATH", "VIRTUAL_ENV", "UV_PROJECT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(TALKING_VIDEO_HOME=str(home), PYTHONNOUSERSITE="1", UV_PYTHON=sys.executable,
               UV_PYTHON_DOWNLOADS="never", TALKING_VIDEO_LOG_LEVEL="WARNING")
    return env


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """`make dist bundle` into a scratch folder (the .venv is taken as built: `-o` its stamp)."""
    dist = tmp_path_factory.mktemp("dist")
    _run(["make", "-o", ".venv/.installed-stamp", "bundle", f"DIST={dist}", f"PY={sys.executable}"], cwd=ROOT)
    wheels = list(dist.glob("talking_video_mcp-*.whl"))
    sdists = list(dist.glob("talking_video_mcp-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in dist.iterdir())
    return Release(wheels[0], sdists[0], dist / "talking-video-mcp.mcpb")


@pytest.fixture(scope="session")
def user_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the user runs commands from: outside the repository, so nothing can be imported from it."""
    path = tmp_path_factory.mktemp("user")
    assert not path.resolve().is_relative_to(ROOT)
    return path


@pytest.fixture(scope="session")
def clean_venv(release: Release, user_dir: Path) -> Path:
    """A fresh virtual environment with only the wheel and its dependencies installed (uv pip, for speed)."""
    venv = user_dir / "venv"
    _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=user_dir)
    _run([_uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(release.wheel)],
         cwd=user_dir, env=_user_env(user_dir / "home"))
    return venv


def test_release_version_is_one_number_everywhere(release: Release) -> None:
    assert release.wheel.name == f"talking_video_mcp-{__version__}-py3-none-any.whl"
    metadata = zipfile.ZipFile(release.wheel).read(f"talking_video_mcp-{__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {__version__}\n" in metadata
    manifest = json.loads(zipfile.ZipFile(release.bundle).read("manifest.json"))
    assert manifest["version"] == __version__
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(__version__)}\]?", changelog, re.MULTILINE), "no CHANGELOG section"
    readme = (ROOT / "README.md").read_text()
    wheel = f"talking_video_mcp-{__version__}-py3-none-any.whl"
    example = json.loads((ROOT / "claude_desktop_config.example.json").read_text())["mcpServers"]["talking-video"]
    # What works today (the package is not published): uv runs the wheel `make dist` built, as the test below does.
    assert example["command"] == "uv" and example["args"][:3] == ["tool", "run", "--from"], example
    assert example["args"][3].endswith(f"/dist/{wheel}") and example["args"][4:] == ["talking-video-mcp", "serve"]
    pinned = set(re.findall(r"talking-video-mcp@([0-9][^\s\"`;]*)", readme))
    assert pinned == {__version__}, f"the README pins {pinned}, the package is {__version__}"
    assert set(re.findall(r"talking_video_mcp-([0-9][^-]*)-py3-none-any\.whl", readme)) == {__version__}
    sections = re.findall(r"^## (.+)$", readme, re.MULTILINE)
    assert sections[:3] == ["Try it: two commands", "Install", "Add it to a client"], sections
    assert f"`uvx talking-video-mcp@{__version__} serve`" in readme and "once the package is published" in readme
    assert f'"args": ["tool", "run", "--from", "/path/to/dist/{wheel}",' in readme
    with tarfile.open(release.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    needed = {"CHANGELOG.md", "packaging/bundle.py", "Makefile",
              "src/talking_video_mcp/assets/models/face_landmark.onnx"}
    assert names >= needed


async def test_wheel_in_a_clean_venv(clean_venv: Path, user_dir: Path) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    home = user_dir / "home-wheel"
    env = _user_env(home)
    exe = str(clean_venv / "bin" / "talking-video-mcp")
    python = str(clean_venv / "bin" / "python")
    where = _run([python, "-c", "import talking_video_mcp; print(talking_video_mcp.__file__)"], cwd=user_dir,
                 env=env).stdout.strip()
    assert Path(where).is_relative_to(clean_venv) and not Path(where).resolve().is_relative_to(ROOT)
    assert _run([exe, "--version"], cwd=user_dir, env=env).stdout.strip() == f"talking-video-mcp {__version__}"

    doctor = _run([exe, "doctor"], cwd=user_dir, env=env, timeout=120).stdout
    assert "[FAIL]" not in doctor and "face model: the face-landmark model loads" in doctor and "ready:" in doctor

    demo = _run([exe, "demo", "--seconds", "4"], cwd=user_dir, env=env, timeout=300).stdout
    video = Path(next(line for line in demo.splitlines() if line.startswith("video: ")).removeprefix("video: "))
    assert video.is_relative_to(home) and video.stat().st_size > 10_000

    params = StdioServerParameters(command=exe, args=["serve"], env=env, cwd=str(user_dir))
    async with Client(params) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        presets = (await client.call_tool("list_avatar_presets", {"provider": "local"})).structured_content
    assert tools >= SIX_TOOLS
    assert {p["avatar_preset_id"] for p in presets["presets"]} >= {"local:astronaut", "local:mona_lisa"}


async def test_uv_tool_run_from_the_wheel(release: Release, user_dir: Path) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    env = _user_env(user_dir / "home-uvx")
    run = [_uv(), "tool", "run", "--from", str(release.wheel), "talking-video-mcp"]
    assert _run([*run, "--version"], cwd=user_dir, env=env).stdout.strip() == f"talking-video-mcp {__version__}"
    params = StdioServerParameters(command=run[0], args=[*run[1:], "serve"], env=env, cwd=str(user_dir))
    async with Client(params) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    assert tools >= SIX_TOOLS


# ---------------------------------------------------------------- the MCP Bundle


@pytest.fixture(scope="session")
def mcpb() -> str:
    """The official bundle CLI, installed once into a cache folder; without npm the bundle checks skip, except
    in CI (CI=true), where they fail."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "talking-video-mcp-tests"
    prefix = cache / f"mcpb-{MCPB_VERSION}"
    cli = prefix / "node_modules" / ".bin" / "mcpb"
    if not cli.exists():
        npm = shutil.which("npm")
        if npm is None:
            reason = "npm is not installed, so `mcpb validate` cannot run (install Node.js 18+ with npm)"
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(f"CI: {reason}")
            pytest.skip(reason)
        prefix.mkdir(parents=True, exist_ok=True)
        _run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(prefix),
              f"@anthropic-ai/mcpb@{MCPB_VERSION}"], timeout=300)
    return str(cli)


def _substitute(value: Any, variables: dict[str, str | list[str]]) -> Any:
    """What the host does to `mcp_config` (mcpb's replaceVariables): `${name}` inside strings; an argument that is
    exactly `${user_config.x}` for a list expands into several arguments; unknown names stay as written."""
    if isinstance(value, str):
        for key, replacement in variables.items():
            if isinstance(replacement, str):
                value = value.replace(f"${{{key}}}", replacement)
        return value
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            match = re.fullmatch(r"\$\{(user_config\.[^}]+)\}", item) if isinstance(item, str) else None
            if match and match.group(1) in variables:
                replacement = variables[match.group(1)]
                out.extend(replacement if isinstance(replacement, list) else [replacement])
            else:
                out.append(_substitute(item, variables))
        return out
    if isinstance(value, dict):
        return {k: _substitute(v, variables) for k, v in value.items()}
    return value


def _host_config(manifest: dict[str, Any], extension: Path, user: dict[str, Any]) -> dict[str, Any]:
    """`server.mcp_config` with defaults and the user's answers filled in, as the desktop app launches it."""
    merged = {k: o["default"] for k, o in manifest["user_config"].items() if "default" in o}
    merged.update(user)
    variables: dict[str, str | list[str]] = {"__dirname": str(extension), "pathSeparator": os.sep, "/": os.sep,
                                             "HOME": str(Path.home())}
    for key, value in merged.items():
        variables[f"user_config.{key}"] = (
            [str(v) for v in value] if isinstance(value, list)
            else ("true" if value else "false") if isinstance(value, bool) else f"{value:g}"
            if isinstance(value, float | int) else str(value)
        )
    return dict(_substitute(manifest["server"]["mcp_config"], variables))


def test_bundle_manifest_passes_mcpb_validate(release: Release, mcpb: str, tmp_path: Path) -> None:
    unpacked = tmp_path / "bundle"
    _run([mcpb, "unpack", str(release.bundle), str(unpacked)])
    done = _run([mcpb, "validate", str(unpacked / "manifest.json")])
    assert "validation passes" in done.stdout + done.stderr
    manifest = json.loads((unpacked / "manifest.json").read_text())
    config = manifest["user_config"]
    assert config["segmind_api_key"]["sensitive"] is True and config["unifically_api_key"]["sensitive"] is True
    assert config["allowed_folders"]["type"] == "directory" and config["allowed_folders"]["multiple"] is True
    assert config["max_job_cost_usd"]["type"] == config["daily_budget_usd"]["type"] == "number"
    env = manifest["server"]["mcp_config"]["env"]
    assert env["SEGMIND_API_KEY"] == "${user_config.segmind_api_key}"
    assert env["TALKING_VIDEO_MAX_JOB_COST_USD"] == "${user_config.max_job_cost_usd}"
    assert {t["name"] for t in manifest["tools"]} >= SIX_TOOLS
    assert all(t["description"] for t in manifest["tools"])


async def test_bundle_starts_as_its_manifest_says(release: Release, tmp_path: Path, user_dir: Path) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    extension = tmp_path / "extension"  # where the desktop app unpacks it
    zipfile.ZipFile(release.bundle).extractall(extension)
    manifest = json.loads((extension / "manifest.json").read_text())
    pictures, elsewhere = tmp_path / "Pictures", tmp_path / "elsewhere"
    for folder in (pictures, elsewhere):
        folder.mkdir()
        (folder / "me.png").write_bytes(png_bytes())
    # The user fills in the folders, one spend limit and the sandbox; the keys stay empty.
    config = _host_config(manifest, extension, {"allowed_folders": [str(pictures)], "max_job_cost_usd": 3,
                                                "sandbox": True})
    assert config["command"] == "uv"
    env = {**_user_env(tmp_path / "home"), **config["env"]}
    params = StdioServerParameters(command=_uv(), args=config["args"], env=env, cwd=str(user_dir))
    async with Client(params) as client:
        listed = (await client.list_tools()).tools
        account = (await client.call_tool("get_account", {})).structured_content
        inside = await client.call_tool("generate_talking_video", {
            "model": "local", "image": str(pictures / "me.png"), "script": "Hello.", "dry_run": True})
        outside = await client.call_tool("generate_talking_video", {
            "model": "local", "image": str(elsewhere / "me.png"), "script": "Hello.", "dry_run": True})
    app_only = {t.name for t in listed if ((t.meta or {}).get("ui") or {}).get("visibility") == ["app"]}
    assert {t.name for t in listed} - app_only == {t["name"] for t in manifest["tools"]}
    assert account["max_job_cost_usd"] == 3 and account["daily_budget_usd"] == 25
    assert not inside.is_error, inside.content
    assert outside.is_error and "allowed" in " ".join(getattr(c, "text", "") for c in outside.content).lower()
