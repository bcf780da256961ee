"""The wheel carries the models and presets the offline provider needs, and stays small."""

from __future__ import annotations

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
