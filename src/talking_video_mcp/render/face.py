"""Find the face and its 468 landmarks, offline.

OpenCV's Haar cascade (inside the opencv-python-headless wheel) proposes face boxes; the
MediaPipe face-mesh network (Apache-2.0, converted to ONNX and shipped in `assets/models`)
then places the landmarks and says whether the crop really holds a face. A second pass
re-crops around the first pass's landmarks, upright, which is how MediaPipe itself tracks.

find_faces() searches downscaled copies of large photos (up to 8K) and fits the mesh at
full resolution; a fit is kept only if the face, levelled by its own eye line, looks
upright to the cascade. Heads leaning 20-50 degrees, which the upright cascade misses,
are searched for on rotated copies when nothing else is found.
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
# Long sides of the downscaled copies the face search runs on, coarse first.
_SEARCH_SIDES = (1024, 2048, 4096)
_MAX_FACES = 6
# Rotations (degrees) tried when no upright face is found: tilted heads.
_TILTS = (25.0, -25.0, 45.0, -45.0)
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


_CASCADES_LOCAL = threading.local()


def _cascade(name: str) -> Any:
    """A loaded cascade, one per thread (a classifier is not safe to share between threads)."""
    cache: dict[str, Any] | None = getattr(_CASCADES_LOCAL, "cache", None)
    if cache is None:
        cache = _CASCADES_LOCAL.cache = {}
    if name not in cache:
        cache[name] = cv2.CascadeClassifier(str(Path(_haar_dir()) / name))
    return cache[name]


def _haar_boxes(
    image: Image, limit: int = 3, min_fraction: float = 0.06, equalize: bool = True,
) -> list[tuple[int, int, int, int]]:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if equalize:
        gray = cv2.equalizeHist(gray)
    min_side = max(24, int(min_fraction * min(gray.shape)))
    boxes: list[tuple[int, int, int, int]] = []
    for name in _CASCADES:
        found = _cascade(name).detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=(min_side, min_side))
        boxes.extend((int(x), int(y), int(w), int(h)) for x, y, w, h in found)
        if boxes:
            break
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)[:limit]


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


def _mesh_at(image: Image, box: tuple[float, float, float, float], angle: float = 0.0) -> FaceMesh | None:
    """Landmarks for a face proposed at `box` (image pixels), tilted by `angle` radians
    (clockwise on screen), or None when the mesh sees no face."""
    x, y, w, h = box
    center = (x + w / 2.0, y + h * 0.55)
    points, score = _run_mesh(image, center, 1.7 * max(w, h), angle)
    if score < _MIN_PRESENCE:
        return None
    refined, refined_score = _refine(image, points)
    if refined_score >= _MIN_PRESENCE:
        points, score = refined, refined_score
    height, width = image.shape[:2]
    lo = np.maximum(points.min(axis=0), 0.0)
    hi = np.minimum(points.max(axis=0), [width - 1, height - 1])
    face_box = (int(lo[0]), int(lo[1]), math.ceil(hi[0] - lo[0]), math.ceil(hi[1] - lo[1]))
    return FaceMesh(points=points, box=face_box, score=score)


def detect_face(image: Image) -> FaceMesh:
    """The most prominent face: its landmarks and box. Raises ValueError when there is none."""
    for box in _candidate_boxes(image):
        mesh = _mesh_at(image, box)
        if mesh is not None:
            return mesh
    raise ValueError(NO_FACE_MESSAGE)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))


def _search_copies(image: Image) -> Iterator[tuple[Image, float]]:
    """Downscaled copies to search (image, scale to full resolution): small first, finer if needed."""
    longest = max(image.shape[:2])
    for side in _SEARCH_SIDES:
        scale = min(1.0, side / longest)
        if scale >= 1.0:
            yield image, 1.0
            return
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        yield np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8), 1.0 / scale


def _proposals(copy: Image, limit: int) -> list[tuple[int, int, int, int]]:
    """Haar boxes on the plain grey image, then equalised, then on a grey-padded copy."""
    for equalize in (False, True):
        boxes = _haar_boxes(copy, limit=limit, min_fraction=0.02, equalize=equalize)
        if boxes:
            return boxes
    pad = int(0.25 * max(copy.shape[:2]))
    padded = cv2.copyMakeBorder(copy, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    found = _haar_boxes(np.asarray(padded, dtype=np.uint8), limit=limit, min_fraction=0.02)
    return [(x - pad, y - pad, w, h) for x, y, w, h in found]


def find_faces(image: Image, *, max_faces: int = _MAX_FACES) -> list[FaceMesh]:
    """Every face found, largest first, landmarks in `image`'s own pixels.

    The Haar search runs on downscaled copies, long side 1024 px and 2048 px (the second
    finds the small faces of a group photo), then 4096 px only when nothing was found yet,
    so a small face in an 8K photo is still found; each proposal is then confirmed and
    measured by the face mesh on the full-resolution image.
    """
    meshes: list[FaceMesh] = []
    for level, (copy, scale) in enumerate(_search_copies(image)):
        if level >= 2 and meshes:
            break
        for proposal in _proposals(copy, 2 * max_faces):
            x, y, w, h = (v * scale for v in proposal)
            mesh = _mesh_at(image, (x, y, w, h))
            # The mesh finds "a face" in almost any crop of one: keep it only when its size
            # agrees with the proposal's, and only once.
            if mesh is None or not 0.45 * w <= mesh.box[2] <= 1.5 * w:
                continue
            if any(_overlap(mesh.box, m.box) > 0.4 for m in meshes) or not _upright_when_levelled(image, mesh):
                continue
            meshes.append(mesh)
    if not meshes:
        meshes = _find_tilted(image, max_faces)
    meshes.sort(key=lambda m: m.box[2] * m.box[3], reverse=True)
    return meshes[:max_faces]


def _upright_when_levelled(image: Image, mesh: FaceMesh) -> bool:
    """Whether the face, turned so the mesh's eyes are level, looks like an upright face to
    the Haar cascade. A mesh fitted to half of a tilted head (its eyes not where the real
    eyes are) fails this, and the tilted search then finds the head properly."""
    points = mesh.points
    left, right = points[_LEFT_EYE_OUTER], points[_RIGHT_EYE_OUTER]
    angle = math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))
    lo, hi = points.min(axis=0), points.max(axis=0)
    size = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    side = max(48, round(2.0 * size))
    scale = min(1.0, 160.0 / side)  # a small crop is plenty for the cascade
    out = max(48, round(side * scale))
    center = (float(lo[0] + hi[0]) / 2.0, float(lo[1] + hi[1]) / 2.0)
    matrix = cv2.getRotationMatrix2D(center, angle, scale)
    matrix[0, 2] += out / 2.0 - center[0]
    matrix[1, 2] += out / 2.0 - center[1]
    crop = np.asarray(cv2.warpAffine(image, matrix, (out, out), borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    least = max(20, round(0.25 * out))
    for name in _CASCADES:
        found = _cascade(name).detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3, minSize=(least, least))
        for x, y, w, h in found:
            # The levelled face sits in the middle of the crop, half its size.
            if abs(x + w / 2 - out / 2) < 0.15 * out and abs(y + h / 2 - out / 2) < 0.2 * out and w < 0.8 * out:
                return True
    return False


def _find_tilted(image: Image, max_faces: int) -> list[FaceMesh]:
    """A head tilted by 20 degrees or more escapes the upright Haar cascade: search rotated
    copies of the coarse search image, map each box's centre back, let the mesh (whose
    second pass levels the eyes) do the rest."""
    copy, scale = next(_search_copies(image))
    h, w = copy.shape[:2]
    center = (w / 2.0, h / 2.0)
    meshes: list[FaceMesh] = []
    for angle in _TILTS:
        matrix = cv2.getRotationMatrix2D(center, angle, 1.0)
        rotated = np.asarray(cv2.warpAffine(copy, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8)
        back = cv2.invertAffineTransform(matrix)
        for x, y, bw, bh in _haar_boxes(rotated, limit=max_faces, min_fraction=0.02, equalize=False):
            cx = back[0, 0] * (x + bw / 2) + back[0, 1] * (y + bh / 2) + back[0, 2]
            cy = back[1, 0] * (x + bw / 2) + back[1, 1] * (y + bh / 2) + back[1, 2]
            side = max(bw, bh) * scale
            # Turned by `angle` the head was upright: in the photo its eye line slopes by `angle`.
            mesh = _mesh_at(image, (cx * scale - side / 2, cy * scale - side / 2, side, side), math.radians(angle))
            if mesh is None or not 0.45 * side <= max(mesh.box[2], mesh.box[3]) <= 1.6 * side:
                continue
            if any(_overlap(mesh.box, m.box) > 0.4 for m in meshes):
                continue
            meshes.append(mesh)
        if meshes:
            break
    return meshes
