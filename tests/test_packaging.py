"""The wheel carries the models and presets the offline provider needs, and stays small."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_assets_and_is_small(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(tmp_path.glob("talking_video_mcp-*.whl"))
    assert wheel.stat().st_size < 25 * 2**20
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("talking_video_mcp/assets/models/face_landmark.onnx",
                   "talking_video_mcp/assets/models/LICENSE-mediapipe-Apache-2.0.txt",
                   "talking_video_mcp/assets/presets/LICENSES.md",
                   "talking_video_mcp/assets/presets/astronaut.jpg",
                   "talking_video_mcp/jobs/migrations/pg/0001_init.sql",
                   "talking_video_mcp/py.typed"):
        assert needed in names, needed
    assert not any(n.startswith("tests/") or n.endswith(".mp4") for n in names)


def test_dockerfile_installs_the_wheel_runs_as_non_root_and_probes_healthz() -> None:
    """No Docker daemon in the test environment: the image's contract is checked in its files."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "COPY dist/" in dockerfile and "COPY src" not in dockerfile and "pip install ." not in dockerfile
    assert 'pip install "$1[postgres,s3]"' in dockerfile and "talking_video_mcp-*-py3-none-any.whl" in dockerfile
    user = next(line.split()[1] for line in final_stage.splitlines() if line.startswith("USER "))
    assert user.split(":")[0] not in ("0", "root")
    health = next(line for line in final_stage.splitlines() if line.startswith("HEALTHCHECK"))
    assert "/healthz" in final_stage[final_stage.index(health):].split("\nENTRYPOINT")[0]
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert ignore == ["*", "!dist/talking_video_mcp-*-py3-none-any.whl"]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "make dist && docker compose up --build" in compose
    worker = compose[compose.index("\n  worker:"):]
    assert "disable: true" in worker.split("\n\n")[0]


def test_make_dist_needs_no_development_environment() -> None:
    """`make dist` builds the 1.6 MB wheel without first building the 1.2 GB .venv: a throwaway venv with `build`."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    rule = re.search(r"^dist:(.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert rule is not None
    prerequisites, recipe = rule.group(1), rule.group(2)
    assert "STAMP" not in prerequisites and "venv" not in prerequisites, prerequisites
    assert "$(PY) " not in recipe and ".venv" not in recipe, recipe
    assert "-m build" in recipe
