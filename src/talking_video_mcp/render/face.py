"""Find the face and its 468 landmarks, offline.

OpenCV's Haar cascade (inside the opencv-python-headless wheel) proposes face boxes; the
MediaPipe face-mesh network (Apache-2.0, converted to ONNX and shipped in `assets/models`)
then places the landmarks and says whether the crop really holds a face. A second pass
re-crops around the first pass's landmarks, upright, which is how MediaPipe itself tracks.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.image_io import Image

NO_FACE_MESSAGE = "No face found in the image: use a frontal photo with the face clearly visible"
_INPUT = 192
_MIN_PRESENCE = 0.5
_CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml")
# Landmarks of the outer eye corners, used to level the second crop.
_LEFT_EYE_OUTER, _RIGHT_EYE_OUTER = 33, 263

Points = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FaceMesh:
    """Landmarks in image pixels (468 x 2), the face box (x, y, w, h) and the presence score."""

    points: Points
    box: tuple[int, int, int, int]
    score: float


_SESSION: Any = None
_SESSION_LOCK = threading.Lock()


def _session() -> Any:
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            import onnxruntime  # type: ignore[import-untyped]

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            model = files("talking_video_mcp.assets").joinpath("models", "face_landmark.onnx").read_bytes()
            _SESSION = onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        return _SESSION


def _haar_dir() -> str:
    """Where the opencv-python wheel keeps its Haar cascades (cv2.data.haarcascades)."""
    return str(importlib.import_module("cv2.data").haarcascades)


def _haar_boxes(image: Image) -> list[tuple[int, int, int, int]]:
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    min_side = max(24, int(0.06 * min(gray.shape)))
    boxes: list[tuple[int, int, int, int]] = []
    for name in _CASCADES:
        cascade = cv2.CascadeClassifier(str(Path(_haar_dir()) / name))
        found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=(min_side, min_side))
        boxes.extend((int(x), int(y), int(w), int(h)) for x, y, w, h in found)
        if boxes:
            break
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)[:3]


def _run_mesh(image: Image, center: tuple[float, float], side: float, angle: float) -> tuple[Points, float]:
    """Landmarks for a square crop of `side` px around `center`, rotated by `angle` radians."""
    cos, sin = math.cos(angle), math.sin(angle)
    half = side / 2.0
    # Crop corners (top-left, top-right, bottom-left) in image coordinates.
    corners = np.array(
        [[center[0] + dx * cos - dy * sin, center[1] + dx * sin + dy * cos] for dx, dy in
         ((-half, -half), (half, -half), (-half, half))],
        dtype=np.float32,
    )
    target = np.array([[0, 0], [_INPUT, 0], [0, _INPUT]], dtype=np.float32)
    matrix = np.asarray(cv2.getAffineTransform(corners, target), dtype=np.float64)
    crop = cv2.warpAffine(
        image, matrix, (_INPUT, _INPUT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=(128, 128, 128),
    )
    tensor = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)[None] / 255.0
    landmarks, flag = _session().run(None, {"input": tensor})
    local = landmarks.reshape(-1, 3)[:, :2].astype(np.float32)
    inverse = np.asarray(cv2.invertAffineTransform(matrix), dtype=np.float32)
    points = (local @ inverse[:, :2].T + inverse[:, 2]).astype(np.float32)
    score = 1.0 / (1.0 + math.exp(-float(flag.reshape(-1)[0])))
    return points, score


def _refine(image: Image, points: Points) -> tuple[Points, float]:
    left, right = points[_LEFT_EYE_OUTER], points[_RIGHT_EYE_OUTER]
    angle = math.atan2(float(right[1] - left[1]), float(right[0] - left[0]))
    lo, hi = points.min(axis=0), points.max(axis=0)
    center = (float(lo[0] + hi[0]) / 2.0, float(lo[1] + hi[1]) / 2.0)
    side = 1.5 * float(max(hi[0] - lo[0], hi[1] - lo[1]))
    return _run_mesh(image, center, side, angle)


def _candidate_boxes(image: Image) -> Iterator[tuple[int, int, int, int]]:
    """Haar boxes, then boxes found on a grey-padded copy (a face cut by the image edge)."""
    yield from _haar_boxes(image)
    pad = int(0.25 * max(image.shape[:2]))
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    for x, y, w, h in _haar_boxes(np.asarray(padded, dtype=np.uint8)):
        yield x - pad, y - pad, w, h


def detect_face(image: Image) -> FaceMesh:
    """The most prominent face: its landmarks and box. Raises ValueError when there is none."""
    for x, y, w, h in _candidate_boxes(image):
        center = (x + w / 2.0, y + h * 0.55)
        points, score = _run_mesh(image, center, 1.7 * max(w, h), 0.0)
        if score < _MIN_PRESENCE:
            continue
        refined, refined_score = _refine(image, points)
        if refined_score >= _MIN_PRESENCE:
            points, score = refined, refined_score
        height, width = image.shape[:2]
        lo = np.maximum(points.min(axis=0), 0.0)
        hi = np.minimum(points.max(axis=0), [width - 1, height - 1])
        box = (int(lo[0]), int(lo[1]), math.ceil(hi[0] - lo[0]), math.ceil(hi[1] - lo[1]))
        return FaceMesh(points=points, box=box, score=score)
    raise ValueError(NO_FACE_MESSAGE)
