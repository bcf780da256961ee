"""Read a portrait and bring it to the size the renderer works at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
_MIN_SIDE = 64


def load_portrait(path: Path, max_size: int | None) -> Image:
    """Decode an image file to BGR, scaled down so its longer side is <= max_size.

    Both sides come out even, as H.264 in yuv420p requires; a transparent background is
    laid on white so cut-out portraits do not turn black.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Image file not found: {path}")
    raw = np.fromfile(str(path), dtype=np.uint8)
    # PNG and WebP may carry transparency; everything else decodes as colour, which also
    # applies the EXIF orientation that phone photos rely on.
    header = raw[:16].tobytes()
    has_alpha = header.startswith(b"\x89PNG") or (header[:4] == b"RIFF" and header[8:12] == b"WEBP")
    flags = cv2.IMREAD_UNCHANGED if has_alpha else cv2.IMREAD_COLOR
    image = cv2.imdecode(raw, flags) if raw.size else None
    if image is None:
        raise ValueError(f"Could not read the image {path.name!r}: use a JPEG, PNG or WebP photo.")
    image = _to_bgr(image)
    height, width = image.shape[:2]
    if min(height, width) < _MIN_SIDE:
        raise ValueError(f"The image is too small ({width}x{height}); use a photo at least 256 pixels wide.")
    scale = 1.0 if max_size is None else min(1.0, max_size / max(height, width))
    new_w = max(2, int(width * scale) // 2 * 2)
    new_h = max(2, int(height * scale) // 2 * 2)
    if (new_w, new_h) != (width, height):
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        image = cv2.resize(image, (new_w, new_h), interpolation=interp)
    return np.ascontiguousarray(image)


def _to_bgr(image: npt.NDArray[Any]) -> Image:
    if image.dtype != np.uint8:
        image = np.asarray(cv2.convertScaleAbs(image, alpha=255.0 / max(float(image.max()), 1.0)))
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        rgb = image[:, :, :3].astype(np.float32)
        return np.asarray(rgb * alpha + 255.0 * (1.0 - alpha), dtype=np.uint8)
    return np.asarray(image[:, :, :3], dtype=np.uint8)
