"""Blinks: the upper lid slides down over the eye and the lower lid rises to meet it.

The lid itself is the photo's own skin: at start-up the eye opening is inpainted from the
surrounding lid skin (OpenCV's Telea inpainting), which gives a "closed eye" patch. During
a blink the pixels between the open lid line and the descending lid edge come from that
patch and a soft lash line marks the edge; the lower lid rises by stretching the cheek
under it, so the lids meet and nothing of the eyeball shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.geometry import EyeGeometry
from talking_video_mcp.render.head import Box, points_box
from talking_video_mcp.render.image_io import Image

Field = npt.NDArray[np.float32]
_UPPER_TRAVEL = 0.8  # the upper lid covers 80% of the opening, the lower lid 20%
_LASH_DARKEN = 0.35


@dataclass(frozen=True)
class EyeFrame:
    """One frame of one eye: where to sample the photo, and the lid layer on top."""

    src_x: Field
    src_y: Field
    lid_alpha: Field
    lash: Field


class EyeAnimator:
    def __init__(self, eye: EyeGeometry, image: Image, margin: float) -> None:
        self.e = eye
        fr = eye.frame
        w = eye.half_width
        self.below = 0.6 * eye.opening
        top = float(eye.upper_v.min()) - 0.6 * eye.brow_gap - 2.0
        bottom = float(eye.lower_v.max()) + self.below + 2.0
        corners = [fr.origin + u * fr.ex + v * fr.ey for u in (-w - 2, w + 2) for v in (top, bottom)]
        height, width = image.shape[:2]
        self.box: Box = points_box(np.array(corners, dtype=np.float32), margin).clip(height, width)
        self.closed_patch = self._closed_patch(image)

    def _closed_patch(self, image: Image) -> Image:
        """The eye region with the opening filled in by lid skin."""
        e, fr, box = self.e, self.e.frame, self.box
        patch = np.ascontiguousarray(image[box.slices])
        lid = np.stack([e.upper_u, e.upper_v - 0.15 * e.opening], axis=1)
        low = np.stack([e.lower_u, e.lower_v], axis=1)[::-1]
        local = np.concatenate([lid, low])
        pts = fr.origin + local[:, :1] * fr.ex + local[:, 1:] * fr.ey - np.array([box.x0, box.y0], dtype=np.float32)
        mask = np.zeros(patch.shape[:2], dtype=np.uint8)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 255)
        grow = max(1, round(0.15 * e.opening))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        mask = np.asarray(cv2.dilate(mask, kernel), dtype=np.uint8)
        filled = cv2.inpaint(patch, mask, max(3.0, 0.5 * e.opening), cv2.INPAINT_TELEA)
        return np.asarray(filled, dtype=np.uint8)

    def frame(self, qx: Field, qy: Field, closure: float) -> EyeFrame | None:
        """Warp and lid layer for the box's output pixels (head-motion sources qx, qy)."""
        if closure < 0.02:
            return None
        e = self.e
        fr = e.frame
        rx, ry = qx - fr.origin[0], qy - fr.origin[1]
        u = rx * fr.ex[0] + ry * fr.ex[1]
        t = rx * fr.ey[0] + ry * fr.ey[1]
        upper = np.interp(u, e.upper_u, e.upper_v).astype(np.float32)
        lower = np.interp(u, e.lower_u, e.lower_v).astype(np.float32)
        inside = np.clip(e.half_width + 0.5 - np.abs(u), 0.0, 1.0).astype(np.float32)
        h = np.maximum(lower - upper, 0.0) * inside
        edge = upper + closure * h * _UPPER_TRAVEL
        rise = closure * h * (1.0 - _UPPER_TRAVEL)
        below = self.below
        # The eyeball stays put and is covered; only the cheek under the lower lid stretches up.
        cheek_src = lower + (t - lower + rise) * (below / (below + rise))
        src_t = np.where((t >= lower - rise) & (t < lower + below), cheek_src, t).astype(np.float32)
        dt = src_t - t
        lid_alpha = (np.clip(edge - t + 0.5, 0.0, 1.0) * np.clip(t - upper + 1.5, 0.0, 1.0) * inside)
        lid_alpha *= np.float32(min(1.0, closure * 4.0))
        lash = np.exp(-np.square((t - edge) / 1.1)) * inside * np.float32(_LASH_DARKEN * min(1.0, closure * 3.0))
        return EyeFrame(
            (qx + dt * fr.ey[0]).astype(np.float32), (qy + dt * fr.ey[1]).astype(np.float32),
            lid_alpha.astype(np.float32), lash.astype(np.float32),
        )

    def composite(self, region: Image, qx: Field, qy: Field, layer: EyeFrame) -> Image:
        """Lay the lid (sampled from the closed-eye patch) and the lash line over `region`."""
        lid = cv2.remap(
            self.closed_patch, qx - np.float32(self.box.x0), qy - np.float32(self.box.y0),
            cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
        ).astype(np.float32)
        out = region.astype(np.float32)
        out += (lid - out) * layer.lid_alpha[..., None]
        out *= (1.0 - layer.lash)[..., None]
        return np.asarray(np.clip(out + 0.5, 0, 255), dtype=np.uint8)
