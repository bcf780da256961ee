"""A cheap face check for a photo, with the renderer's own detector, before money is spent.

A cloud provider bills a job whatever the photo shows; this finds out first whether there
is a face at all (and how many), in well under a second even for an 8K phone photo: large
JPEGs are decoded at 1/2 to 1/8 size by libjpeg itself, and the search then runs as in
the renderer (Haar proposals on a downscaled copy, each confirmed by the face mesh).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from talking_video_mcp.render.face import NO_FACE_MESSAGE, find_faces
from talking_video_mcp.render.image_io import Image, read_photo

# Decode large JPEGs reduced so that their long side stays at least this long.
_CHECK_SIDE = 2048
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


@dataclass(frozen=True)
class FaceCheck:
    """Faces found in a photo: boxes (x, y, w, h) in photo pixels (EXIF orientation applied),
    largest first. `message` is the reason to refuse (no face) or a warning (several faces),
    None for exactly one face."""

    count: int
    boxes: tuple[tuple[int, int, int, int], ...]
    width: int
    height: int
    message: str | None

    @property
    def has_face(self) -> bool:
        return self.count > 0


def check_faces(source: Path | bytes) -> FaceCheck:
    """Find the faces in an image file or its bytes. Raises ValueError when it is not a readable image."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    image, scale = _decode_small(data)
    faces = find_faces(image)
    boxes = tuple(
        (round(x * scale), round(y * scale), round(w * scale), round(h * scale)) for x, y, w, h in
        (face.box for face in faces)
    )
    height, width = round(image.shape[0] * scale), round(image.shape[1] * scale)
    if not boxes:
        message: str | None = NO_FACE_MESSAGE
    elif len(boxes) > 1:
        message = (
            f"The photo has {len(boxes)} faces; the largest (index 0, box {boxes[0]}) will be animated "
            "unless another is picked."
        )
    else:
        message = None
    return FaceCheck(count=len(boxes), boxes=boxes, width=width, height=height, message=message)


def _decode_small(data: bytes) -> tuple[Image, float]:
    """The photo, decoded reduced when it is a large JPEG, and the factor back to full size."""
    from talking_video_mcp.media.image import header_size

    size = header_size(data[:65536])
    if data.startswith(b"\xff\xd8") and size is not None:
        for factor, flag in _REDUCED:
            if max(size) // factor >= _CHECK_SIDE:
                image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
                if image is not None:
                    full = max(size)
                    return np.ascontiguousarray(image, dtype=np.uint8), full / max(image.shape[:2])
                break
    return read_photo(data), 1.0
