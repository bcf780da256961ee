"""Results and errors of the renderer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RenderCanceled(Exception):
    """The caller's should_cancel() said stop; no output file was left behind."""


class AudioUnusable(ValueError):
    """The speech track could not be decoded or holds no sound; every other ValueError is about the photo or
    an option, so callers can name the right input."""


@dataclass(frozen=True)
class RenderResult:
    """The finished MP4 and what it holds.

    face_box is the animated face (x, y, w, h) in video pixels; faces lists every face
    found, largest first, as (x, y, w, h) in photo pixels (EXIF orientation applied), and
    face_index says which of them was animated.
    """

    path: Path
    duration_s: float
    frames: int
    width: int
    height: int
    face_box: tuple[int, int, int, int]
    faces: tuple[tuple[int, int, int, int], ...] = ()
    face_index: int = 0
