"""Regenerate the README's close-ups: mouth and eyes of the offline renderer at 1080p.

For each preset (and any photo passed on the command line) the face is framed square at
1080 x 1080 as `render_talking_head(resolution=1080, framing="square")` frames it, and
single frames are drawn straight from the animator (no audio, no encoding): the photo,
the mouth half open, wide open, rounded (o/u) and spread (i/e), and the eyes half shut and
shut in a blink. Each cell is the mouth or eye region enlarged, so a seam, a pasted
interior or a drawn lid would show. One JPEG strip per photo, small enough to commit.

Run: .venv/bin/python docs/gallery/make_closeups.py [photo ...] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from talking_video_mcp.render import list_presets
from talking_video_mcp.render.animate import FaceAnimator
from talking_video_mcp.render.face import find_faces
from talking_video_mcp.render.geometry import face_geometry
from talking_video_mcp.render.image_io import Image, read_photo
from talking_video_mcp.render.motion import Tracks
from talking_video_mcp.render.renderer import _frame_photo

HERE = Path(__file__).resolve().parent
PRESETS = ("grace_hopper", "mona_lisa", "astronaut")
CELL = 240
Pose = tuple[str, float, float, float, float, float]
# (label, mouth opening, lip width, blink closure, gaze, brow raise)
MOUTH_POSES: tuple[Pose, ...] = (
    ("photo", 0.0, 1.0, 0.0, 0.0, 0.0), ("half open", 0.45, 1.0, 0.0, 0.0, 0.0),
    ("wide open", 1.0, 1.0, 0.0, 0.0, 0.0), ("rounded o/u", 0.6, 0.82, 0.0, 0.0, 0.0),
    ("spread i/e", 0.45, 1.15, 0.0, 0.0, 0.0),
)
EYE_POSES: tuple[Pose, ...] = (
    ("photo", 0.0, 1.0, 0.0, 0.0, 0.0), ("blink 50%", 0.0, 1.0, 0.5, 0.0, 0.0),
    ("blink 100%", 0.0, 1.0, 1.0, 0.0, 0.0), ("glance", 0.0, 1.0, 0.0, 1.0, 0.0),
    ("brows up", 0.0, 1.0, 0.0, 0.0, 1.0),
)


def frames_for(photo: Path, poses: tuple[Pose, ...]) -> tuple[list[Image], FaceAnimator]:
    """Frames of `photo` at 1080p, one per pose (head still)."""
    image = read_photo(photo)
    faces = find_faces(image)
    framed, mesh = _frame_photo(image, faces[0], None, 1080, "square")
    animator = FaceAnimator(framed, face_geometry(mesh.points, framed))
    n = len(poses)
    zeros = np.zeros(n, dtype=np.float32)
    tracks = Tracks(
        mouth_open=np.array([p[1] for p in poses], dtype=np.float32),
        mouth_width=np.array([p[2] for p in poses], dtype=np.float32),
        blink=np.array([p[3] for p in poses], dtype=np.float32), head_dx=zeros, head_dy=zeros, head_roll=zeros,
        gaze=np.array([p[4] for p in poses], dtype=np.float32), brow=np.array([p[5] for p in poses], dtype=np.float32),
    )
    return [animator.render(tracks, i).copy() for i in range(n)], animator


def _cell(frame: Image, center: tuple[float, float], side: float, label: str) -> Image:
    cx, cy = center
    half = side / 2
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    crop = np.ascontiguousarray(frame[y0:int(y0 + side), x0:int(x0 + side)])
    out = np.asarray(cv2.resize(crop, (CELL, CELL), interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    cv2.rectangle(out, (0, CELL - 24), (CELL, CELL), (30, 30, 30), -1)
    cv2.putText(out, label, (6, CELL - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.48, (240, 240, 240), 1, cv2.LINE_AA)
    return out


def make(photo: Path, out: Path) -> Path:
    mouth_frames, animator = frames_for(photo, MOUTH_POSES)
    eye_frames, _ = frames_for(photo, EYE_POSES)
    m = animator.mouth.m
    mouth_center = (float(m.frame.origin[0]), float(m.frame.origin[1] + 0.5 * m.half_width))
    mouth_side = 4.2 * m.half_width
    eye = animator.eyes[0].e
    eye_center = (float(eye.frame.origin[0]), float(eye.frame.origin[1] - 0.2 * eye.half_width))
    eye_side = 3.2 * eye.half_width
    top = [_cell(f, mouth_center, mouth_side, p[0]) for f, p in zip(mouth_frames, MOUTH_POSES, strict=True)]
    bottom = [_cell(f, eye_center, eye_side, "eye: " + p[0]) for f, p in zip(eye_frames, EYE_POSES, strict=True)]
    bottom += [np.zeros_like(top[0])] * (len(top) - len(bottom))
    strip = np.vstack([np.hstack(top), np.hstack(bottom)])
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"closeup_{photo.stem}.jpg"
    cv2.imwrite(str(path), strip, [cv2.IMWRITE_JPEG_QUALITY, 84])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    photos = args.photos or [p.path for p in list_presets() if p.preset_id in PRESETS]
    for photo in photos:
        print(make(Path(photo), args.out))


if __name__ == "__main__":
    main()
