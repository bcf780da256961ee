"""Results and errors of the renderer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RenderCancelled(Exception):
    """The caller's should_cancel() said stop; no output file was left behind."""


@dataclass(frozen=True)
class RenderResult:
    """The finished MP4 and what it holds; face_box is (x, y, w, h) in video pixels."""

    path: Path
    duration_s: float
    frames: int
    width: int
    height: int
    face_box: tuple[int, int, int, int]
