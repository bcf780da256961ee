"""Judging rendered MP4s from the outside: decoding, an independent face detector, lip sync."""

from __future__ import annotations

import importlib
from pathlib import Path

import av
import cv2
import numpy as np

from talking_video_mcp.media.audio import decode_audio, envelope
from talking_video_mcp.render.face import find_faces
from talking_video_mcp.render.geometry import INNER_LOWER_LIP, INNER_UPPER_LIP, OUTER_LOWER_LIP, OUTER_UPPER_LIP

FPS = 25


def decode_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def mouth_box(frame: np.ndarray, near: tuple[int, int, int, int] | None = None) -> tuple[int, int, int, int]:
    """From the decoded video itself: the lips, with room below for the dropped jaw.

    `near` (x, y, w, h): of several faces, take the one closest to this box."""
    faces = find_faces(frame)
    if near is not None:
        cx, cy = near[0] + near[2] / 2, near[1] + near[3] / 2
        faces.sort(key=lambda f: abs(f.box[0] + f.box[2] / 2 - cx) + abs(f.box[1] + f.box[3] / 2 - cy))
    points = faces[0].points
    lips = points[list(OUTER_UPPER_LIP + OUTER_LOWER_LIP)]
    inner = points[list(INNER_UPPER_LIP + INNER_LOWER_LIP)]
    left, right = lips[:, 0].min(), lips[:, 0].max()
    width = right - left
    mid = float(inner[:, 1].mean())
    return int(left + 0.2 * width), int(mid - 0.12 * width), int(right - 0.2 * width), int(mid + 0.3 * width)


def mouth_darkness(frames: list[np.ndarray], box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([255.0 - cv2.cvtColor(f[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).mean() for f in frames])


def lip_sync_r(path: Path, frames: list[np.ndarray], face_box: tuple[int, int, int, int] | None = None) -> float:
    """Correlation of the mouth's darkness with the decoded audio's loudness, frame by frame."""
    env = envelope(decode_audio(path, 16000), 16000, FPS)[: len(frames)]
    darkness = mouth_darkness(frames, mouth_box(frames[0], face_box))
    n = min(env.size, darkness.size)
    return float(np.corrcoef(darkness[:n], env[:n])[0, 1])


def upright_face_rate(frames: list[np.ndarray], face_box: tuple[int, int, int, int], samples: int = 8) -> float:
    """Share of sampled frames in which OpenCV's stock frontal cascade (not the renderer's
    detector) finds an upright face over the animated face."""
    folder = Path(importlib.import_module("cv2.data").haarcascades)
    cascade = cv2.CascadeClassifier(str(folder / "haarcascade_frontalface_default.xml"))
    fx, fy, fw, fh = face_box
    picks = np.linspace(0, len(frames) - 1, min(samples, len(frames))).round().astype(int)
    hits = 0
    for i in picks:
        gray = cv2.cvtColor(frames[i], cv2.COLOR_BGR2GRAY)
        side = max(20, int(0.5 * fw))
        found = cascade.detectMultiScale(gray, scaleFactor=1.08, minNeighbors=4, minSize=(side, side))
        for x, y, w, h in found:
            cx, cy = x + w / 2, y + h / 2
            if fx - 0.25 * fw <= cx <= fx + 1.25 * fw and fy - 0.25 * fh <= cy <= fy + 1.25 * fh:
                hits += 1
                break
    return hits / len(picks)
