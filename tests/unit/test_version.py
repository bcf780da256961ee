"""`talking-video-mcp --version`, and the version written in one place only."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from talking_video_mcp import __version__
from talking_video_mcp.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"talking-video-mcp {__version__}"


def test_pyproject_takes_the_version_from_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/talking_video_mcp/__init__.py"
