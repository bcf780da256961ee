"""The photo's own grain, to lay over what the renderer paints (a mouth's inside, a lid).

A patch of plain skin is reduced to its relative detail (pixel over a blurred copy, minus
one: pores, noise, JPEG blocks, small folds) and tiled, mirrored so the tiles meet without
seams, over a region. Painted colour times (1 + grain) is then as sharp and as noisy as
the skin of the same photo, whatever its resolution or compression.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.image_io import Image

Field = npt.NDArray[np.float32]


def skin_grain(
    image: Image, centre: npt.NDArray[np.float32], half_size: tuple[float, float], shape: tuple[int, int],
    *, sigma: float, limit: float, gain: float = 1.0,
) -> Field:
    """Relative detail of the (axis-aligned) patch `centre` ± `half_size` (x, y) of `image`,
    blurred by `sigma` px for the reference, clipped to ±`limit`, times `gain`, tiled to
    `shape` (rows, columns). Zeros when the patch falls off the photo."""
    height, width = image.shape[:2]
    x0, x1 = int(max(0, centre[0] - half_size[0])), int(min(width, centre[0] + half_size[0]))
    y0, y1 = int(max(0, centre[1] - half_size[1])), int(min(height, centre[1] + half_size[1]))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return np.zeros(shape, dtype=np.float32)
    gray = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = gain * np.clip((gray + 1.0) / (cv2.GaussianBlur(gray, (0, 0), sigma) + 1.0) - 1.0, -limit, limit)
    tile = np.block([[detail, detail[:, ::-1]], [detail[::-1], detail[::-1, ::-1]]])
    reps = (shape[0] // tile.shape[0] + 1, shape[1] // tile.shape[1] + 1)
    return np.ascontiguousarray(np.tile(tile, reps)[: shape[0], : shape[1]], dtype=np.float32)
