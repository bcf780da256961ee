"""Judging rendered MP4s from the outside: decoding, an independent face detector, lip sync."""

from __future__ import annotations

import importlib
from pathlib import Path

import av
import cv2
import numpy as np

from talking_video_mcp.media.audio import decode_audio, envelope
from talking_video_mcp.render.face import find_faces
from talking_video_mcp.render.geometry import EYES, INNER_LOWER_LIP, INNER_UPPER_LIP, OUTER_LOWER_LIP, OUTER_UPPER_LIP

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


# ---- Realism measures: the mouth keeps its lips, the inside is as sharp as the skin, blinks close ----

_LUMA = np.array([0.114, 0.587, 0.299], dtype=np.float32)


def polygon_mask(shape: tuple[int, ...], polygon: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 255)
    return mask > 0


def lip_mask(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The red of the lips: inside the outer lip line, outside the inner one."""
    outer = points[list(OUTER_UPPER_LIP) + list(OUTER_LOWER_LIP)[::-1]]
    inner = points[list(INNER_UPPER_LIP) + list(INNER_LOWER_LIP)[::-1]]
    return polygon_mask(shape, outer) & ~polygon_mask(shape, inner)


def lip_coloured(frame: np.ndarray, lips: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Pixels whose colour (CIELAB) is nearer the photo's lips than its skin, and not far
    from the lips either (a dark mouth interior is neither)."""
    lab = cv2.cvtColor(frame, cv2.COLOR_BGR2LAB).astype(np.float32)
    lip_lab, skin_lab = lab[lips], lab[skin]
    lip_mean, skin_mean = lip_lab.mean(axis=0), skin_lab.mean(axis=0)
    radius = float(np.percentile(np.linalg.norm(lip_lab - lip_mean, axis=1), 90))
    to_lip = np.linalg.norm(lab - lip_mean, axis=2)
    return np.asarray((to_lip < np.linalg.norm(lab - skin_mean, axis=2)) & (to_lip <= radius))


def laplacian_variance(frame: np.ndarray, mask: np.ndarray, window: int = 9) -> float:
    """Sharpness: the typical (median) local variance of the Laplacian of log-luminance
    over `window`-pixel neighbourhoods inside `mask`. Log makes a dark region with the same
    relative texture as a light one score the same; the median of local windows measures
    the grain of the skin, not the few wrinkles and lip edges that cross it."""
    luma = np.log1p(frame.astype(np.float32) @ _LUMA)
    lap = cv2.Laplacian(luma, cv2.CV_32F, ksize=3)
    local = cv2.boxFilter(lap * lap, -1, (window, window)) - np.square(cv2.boxFilter(lap, -1, (window, window)))
    inner = cv2.erode(mask.astype(np.uint8), np.ones((window, window), np.uint8)) > 0
    return float(np.median(local[inner if inner.any() else mask]))


def edge_sharpness(frame: np.ndarray, window: int = 7) -> np.ndarray:
    """Per pixel: the luminance gradient over the contrast around it (max - min in a
    `window` box), so a soft edge scores low however dark it is and a cut-out edge high:
    a step over one pixel scores about 4 (the Sobel gain), over four pixels about 1."""
    luma = frame.astype(np.float32) @ _LUMA
    grad = np.hypot(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))
    kernel = np.ones((window, window), np.uint8)
    contrast = cv2.dilate(luma, kernel) - cv2.erode(luma, kernel)
    return np.asarray(grad / (contrast + 8.0))


def eye_aspect_ratio(points: np.ndarray) -> float:
    """Both eyes' mean opening over width, from the face-mesh landmarks (EAR)."""
    ratios = []
    for upper, lower, _ in EYES:
        up, low = points[list(upper)], points[list(lower)]
        width = float(np.linalg.norm(up[-1] - up[0]))
        opening = float(np.mean(np.linalg.norm(up[2:-2] - low[2:-2], axis=1)))
        ratios.append(opening / max(width, 1e-6))
    return float(np.mean(ratios))


def foreign_colour_share(frame: np.ndarray, photo: np.ndarray, step: int = 16) -> float:
    """Share of `frame`'s pixels whose colour (quantised to `step` levels, one level of
    slack) occurs nowhere in `photo`: a drawn line or a pasted lid shows up here."""
    seen = np.zeros((255 // step + 1,) * 3, dtype=bool)
    q = (photo.reshape(-1, 3) // step).astype(int)
    seen[q[:, 0], q[:, 1], q[:, 2]] = True
    grown = seen.copy()
    for axis in range(3):
        for shift in (-1, 1):
            grown |= np.roll(seen, shift, axis=axis)
    f = (frame.reshape(-1, 3) // step).astype(int)
    return float(np.mean(~grown[f[:, 0], f[:, 1], f[:, 2]]))
