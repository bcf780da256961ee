"""Small head motion that leaves the background in place.

The head moves by a rotation about a point under the chin plus a shift, weighted by a soft
mask: 1 over the head and hair, fading to 0 well outside it. Where the mask fades, the
background is stretched by a pixel or two instead of torn, which the eye does not notice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.geometry import FaceGeometry

Field = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Box:
    """A rectangle of rows y0:y1 and columns x0:x1."""

    y0: int
    y1: int
    x0: int
    x1: int

    def union(self, other: Box) -> Box:
        return Box(min(self.y0, other.y0), max(self.y1, other.y1), min(self.x0, other.x0), max(self.x1, other.x1))

    def clip(self, height: int, width: int) -> Box:
        return Box(max(0, self.y0), min(height, self.y1), max(0, self.x0), min(width, self.x1))

    def within(self, outer: Box) -> tuple[slice, slice]:
        """Slices of this box inside arrays that cover `outer`."""
        return slice(self.y0 - outer.y0, self.y1 - outer.y0), slice(self.x0 - outer.x0, self.x1 - outer.x0)

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


def points_box(points: npt.NDArray[np.float32], margin: float) -> Box:
    lo = np.floor(points.min(axis=0) - margin).astype(int)
    hi = np.ceil(points.max(axis=0) + margin).astype(int) + 1
    return Box(int(lo[1]), int(hi[1]), int(lo[0]), int(hi[0]))


class HeadMotion:
    """Backward map of the head motion over a fixed region of interest."""

    def __init__(self, geometry: FaceGeometry, height: int, width: int) -> None:
        self.face_width = geometry.width
        center = geometry.center - np.array([0.0, 0.1 * geometry.height], dtype=np.float32)
        axes = (0.5 * geometry.width * 1.35, 0.5 * geometry.height * 1.42)
        mask = np.zeros((height, width), dtype=np.float32)
        cv2.ellipse(
            mask, (round(float(center[0])), round(float(center[1]))), (round(axes[0]), round(axes[1])),
            0.0, 0.0, 360.0, 1.0, thickness=-1, lineType=cv2.LINE_AA,
        )
        sigma = max(2.0, 0.13 * geometry.width)
        mask = np.asarray(
            cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_CONSTANT),
            dtype=np.float32,
        )
        rows = np.flatnonzero(mask.max(axis=1) > 2e-3)
        cols = np.flatnonzero(mask.max(axis=0) > 2e-3)
        if rows.size == 0 or cols.size == 0:
            rows, cols = np.arange(height), np.arange(width)
        self.box = Box(int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
        self.pivot = geometry.chin_point + np.array([0.0, 0.15 * geometry.height], dtype=np.float32)
        self._set_region(mask, self.box)

    def _set_region(self, mask: Field, box: Box) -> None:
        ys, xs = box.slices
        self.mask = np.ascontiguousarray(mask[ys, xs])
        grid_y, grid_x = np.mgrid[box.y0:box.y1, box.x0:box.x1].astype(np.float32)
        self.grid_x, self.grid_y = grid_x, grid_y
        self.rel_x = grid_x - np.float32(self.pivot[0])
        self.rel_y = grid_y - np.float32(self.pivot[1])

    def grow(self, box: Box, full_mask_shape: tuple[int, int]) -> None:
        """Widen the region so it also covers `box` (mask is 0 in the added part)."""
        grown = self.box.union(box).clip(*full_mask_shape)
        if grown == self.box:
            return
        mask = np.zeros(full_mask_shape, dtype=np.float32)
        mask[self.box.slices] = self.mask
        self.box = grown
        self._set_region(mask, grown)

    def backward(self, dx: float, dy: float, roll_deg: float) -> tuple[Field, Field]:
        """Source coordinates for every output pixel of the region (dx, dy in face widths)."""
        theta = math.radians(roll_deg)
        c1, s = np.float32(math.cos(theta) - 1.0), np.float32(math.sin(theta))
        tx, ty = np.float32(dx * self.face_width), np.float32(dy * self.face_width)
        # OpenCV's fused, vectorised kernels: faster than NumPy's chain of temporaries.
        move_x = cv2.addWeighted(self.rel_x, float(c1), self.rel_y, -float(s), float(tx))
        move_y = cv2.addWeighted(self.rel_x, float(s), self.rel_y, float(c1), float(ty))
        map_x = cv2.subtract(self.grid_x, cv2.multiply(self.mask, move_x))
        map_y = cv2.subtract(self.grid_y, cv2.multiply(self.mask, move_y))
        return np.asarray(map_x, dtype=np.float32), np.asarray(map_y, dtype=np.float32)
