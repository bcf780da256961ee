"""`make demo` as a user runs it: a stdio MCP session makes a ≥ 9 s talking video offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from talking_video_mcp.media.video import probe_video
from tests.unit.video_checks import mouth_box, mouth_darkness

pytestmark = pytest.mark.slow


def test_demo_makes_a_talking_video(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMIND", "UNIFICALLY", "TALKING_VIDEO"))}
    env["TALKING_VIDEO_HOME"] = str(tmp_path / "home")
    done = subprocess.run([sys.executable, "-m", "talking_video_mcp", "demo"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("video: "))
    video = Path(line.removeprefix("video: "))
    info = probe_video(video, decode_all=True)
    assert info.duration_s >= 9.0 and info.audio_codec == "aac" and info.video_codec == "h264"
    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    darkness = mouth_darkness(frames, mouth_box(frames[0]))
    assert float(np.percentile(darkness, 95) - np.percentile(darkness, 5)) > 15, "the mouth does not move"
