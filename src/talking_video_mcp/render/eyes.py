"""Blinks, glances and brow raises: the photo's own eye region, moved.

Nothing is drawn. In a blink the photo's own lash line slides down over the eye (moved,
not stretched, so the lashes keep their shape) and the lid above it is the photo's lid
skin mirrored down from above the lashes (it meets the unmoved skin without a seam and
keeps its own texture); where a brow or a glasses frame leaves too little skin to mirror,
the rest of the lid takes that skin's own colour, column by column, with the grain of the
skin under the eye. The eyeball stays put and is covered; the lower lid rises a little by
stretching the cheek under it, so the lids meet. A glance slides the iris sideways inside
the opening (fading to nothing at the lids and corners); a brow raise lifts the brow and
the skin under it, fading to nothing at the lid line and above the brow. Every colour
comes from the photo's eye region.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.geometry import EyeGeometry
from talking_video_mcp.render.grain import skin_grain
from talking_video_mcp.render.head import Box, points_box
from talking_video_mcp.render.image_io import Image

Field = npt.NDArray[np.float32]
_UPPER_TRAVEL = 0.8  # the upper lid covers 80% of the opening, the lower lid 20%
_LASH_BAND = 0.3  # thickness of the lash line that slides down, in eye openings
GAZE_SHIFT = 0.14  # widest glance, in eye half-widths (the iris moves, the lids stay)
BROW_LIFT = 0.16  # highest brow raise, in lid-to-brow gaps


@dataclass(frozen=True)
class EyeFrame:
    """One frame of one eye: where to sample the photo, and the lid skin laid over it
    where the photo has no skin to move there (alpha 0 elsewhere)."""

    src_x: Field
    src_y: Field
    alpha: Field | None = None
    color: Field | None = None


def _bump(x: Field) -> Field:
    """1 at x = 0, smooth fall to 0 at |x| = 1."""
    t = np.clip(1.0 - np.abs(x), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float32)


class EyeAnimator:
    def __init__(self, eye: EyeGeometry, image: Image, margin: float) -> None:
        self.e = eye
        fr = eye.frame
        w = eye.half_width
        self.below = 0.6 * eye.opening
        top_v = float(eye.upper_v.min())
        # The brow's lower edge, and the forehead above it that fades the raise out.
        self.brow_v = top_v - eye.brow_gap
        top = self.brow_v - 1.2 * eye.brow_gap - 2.0
        bottom = float(eye.lower_v.max()) + self.below + 2.0
        corners = [fr.origin + u * fr.ex + v * fr.ey for u in (-1.3 * w - 2, 1.3 * w + 2) for v in (top, bottom)]
        height, width = image.shape[:2]
        self.box: Box = points_box(np.array(corners, dtype=np.float32), margin).clip(height, width)
        # The lash line: the band above the lid line that moves down with the lid's edge.
        self.lash = max(1.0, _LASH_BAND * eye.opening)
        # Lid skin between the lashes and the brow (or a glasses frame): what a closing
        # lid can show.
        skin_above = self._skin_above(image)
        self.room = max(1.0, min(eye.brow_gap - self.lash, skin_above))
        # Something dark well below the brow (a glasses frame, a deep shadow) would bend
        # with a brow raise: then the brows stay still.
        self.brow_lift = BROW_LIFT if skin_above >= 0.6 * (eye.brow_gap - self.lash) else 0.0
        self._image = image  # the lash band is sampled from it, for soft edges
        self._lid_u, self._lid_color = self._lid_skin(image)
        self._grain = self._skin_grain(image)

    def _skin_above(self, image: Image) -> float:
        """How far above the lash line the lid skin reaches before something much darker
        (a brow, a glasses frame) starts, looking up a few columns across the eye."""
        e, fr = self.e, self.e.frame
        height, width = image.shape[:2]
        reach = float(e.brow_gap)
        for share in (-0.5, -0.25, 0.0, 0.25, 0.5):
            u = share * e.half_width
            start = float(np.interp(u, e.upper_u, e.upper_v)) - self.lash
            steps = np.arange(0.0, e.brow_gap + 1.0, 1.0, dtype=np.float32)
            pts = fr.origin + u * fr.ex + (start - steps)[:, None] * fr.ey
            xs = np.clip(np.round(pts[:, 0]).astype(int), 0, width - 1)
            ys = np.clip(np.round(pts[:, 1]).astype(int), 0, height - 1)
            luma = image[ys, xs].astype(np.float32) @ np.array([0.114, 0.587, 0.299], dtype=np.float32)
            skin = float(np.median(luma[: max(2, int(0.3 * e.opening))]))
            dark = np.flatnonzero(luma < 0.6 * skin)
            if dark.size:
                reach = min(reach, float(steps[dark[0]]) - 1.0)
        return reach

    def frame(self, qx: Field, qy: Field, closure: float, gaze: float = 0.0, brow: float = 0.0) -> EyeFrame | None:
        """Warp for the box's output pixels (head-motion sources qx, qy).

        closure 0..1 (1: shut), gaze -1..1 (sideways glance), brow 0..1 (raise)."""
        if closure < 0.01 and abs(gaze) < 0.01 and (brow < 0.01 or self.brow_lift == 0):
            return None
        e = self.e
        fr = e.frame
        w = e.half_width
        rx, ry = qx - fr.origin[0], qy - fr.origin[1]
        u = rx * fr.ex[0] + ry * fr.ex[1]
        t = rx * fr.ey[0] + ry * fr.ey[1]
        upper = np.interp(u, e.upper_u, e.upper_v).astype(np.float32)
        lower = np.interp(u, e.lower_u, e.lower_v).astype(np.float32)
        inside = np.clip(w + 0.5 - np.abs(u), 0.0, 1.0).astype(np.float32)
        h = np.maximum(lower - upper, 0.0) * inside
        src_t = t.copy()
        src_u = u.copy()
        lid_alpha: Field | None = None
        drop: Field | None = None
        lash_a: Field | None = None
        if brow >= 0.01 and self.brow_lift > 0:
            # Lift the brow: the most at the brow line, nothing at the lid line or high above.
            lift = np.float32(brow * self.brow_lift * e.brow_gap)
            span = np.where(t > self.brow_v, upper - self.brow_v, 1.2 * e.brow_gap).astype(np.float32)
            src_t += lift * _bump((t - self.brow_v) / np.maximum(span, 1.0)) * _bump(u / (1.3 * w))
        if abs(gaze) >= 0.01:
            # Slide the iris: strongest mid-opening, nothing at the lids or the corners.
            mid = (t - 0.5 * (upper + lower)) / np.maximum(0.5 * h, 0.5)
            shift = np.float32(gaze * GAZE_SHIFT * w)
            src_u -= shift * _bump(mid) * _bump(u / w) * inside
        if closure >= 0.01:
            drop = closure * h * _UPPER_TRAVEL
            edge = upper + drop
            rise = closure * h * (1.0 - _UPPER_TRAVEL)
            lash_top = edge - self.lash
            # The lash line, moved down whole; under it the eyeball stays (and is covered).
            lashes = (t >= lash_top) & (t < edge)
            # Between the old lash line and the moved one: the lid skin above the lashes,
            # mirrored down (seamless where it meets the photo, the skin's own texture at
            # its own scale); where the brow or a frame is closer than the lid's travel the
            # band of skin is reflected back and forth instead of stretched into streaks.
            fold = upper - self.lash
            room = np.float32(self.room)
            phase = np.mod(np.maximum(t - fold, 0.0), 2.0 * room)
            skin = (t >= fold) & (t < lash_top)
            src_t = np.where(skin, fold - np.minimum(phase, room), src_t)
            # Beyond what the mirror can show, the lid is the skin's own colour (taken just
            # above the lashes, column by column) with the photo's grain, fading in softly.
            fill_a = np.clip((t - fold - room) / max(1.5, 0.4 * float(room)), 0.0, 1.0)
            fill_a = fill_a * np.clip(lash_top - t + 0.5, 0.0, 1.0) * (t >= fold) * inside
            # The moved lash band is laid on top too, with edges a pixel soft (no stair-steps).
            lash_a = np.clip(t - lash_top + 0.5, 0.0, 1.0) * np.clip(edge - t + 0.5, 0.0, 1.0) * inside
            lid_alpha = np.asarray(np.clip(fill_a + lash_a, 0.0, 1.0), dtype=np.float32)
            # The lower lid rises: the cheek under it stretches up.
            below = self.below
            cheek_src = lower + (t - lower + rise) * (below / (below + rise))
            cheek = (t >= lower - rise) & (t < lower + below)
            src_t = np.where(lashes, t - drop, np.where(cheek, cheek_src, src_t)).astype(np.float32)
            src_u = np.where(lashes | skin, u, src_u).astype(np.float32)
        du, dt = src_u - u, src_t - t
        src_x = (qx + du * fr.ex[0] + dt * fr.ey[0]).astype(np.float32)
        src_y = (qy + du * fr.ex[1] + dt * fr.ey[1]).astype(np.float32)
        if lid_alpha is None or drop is None or lash_a is None or not lid_alpha.any():
            return EyeFrame(src_x, src_y)
        color = np.stack([np.interp(u, self._lid_u, self._lid_color[:, c]) for c in range(3)], axis=-1)
        # A touch of shade towards the lash line, as a closed lid curves away from the light.
        depth = np.clip((t - upper) / np.maximum(h, 1.0), 0.0, 1.0)
        grain = cv2.remap(self._grain, qx - np.float32(self.box.x0), qy - np.float32(self.box.y0),
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)  # moves with the head
        color = color * (1.0 - 0.08 * depth)[..., None] * (1.0 + grain)[..., None]
        lash_x = (qx - drop * fr.ey[0]).astype(np.float32)
        lash_y = (qy - drop * fr.ey[1]).astype(np.float32)
        lash_color = cv2.remap(self._image, lash_x, lash_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        share = (lash_a / np.maximum(lid_alpha, 1e-3))[..., None]
        color = color * (1.0 - share) + lash_color.astype(np.float32) * share
        return EyeFrame(src_x, src_y, lid_alpha, color.astype(np.float32))

    def composite(self, region: Image, layer: EyeFrame) -> Image:
        """Lay the frame's lid skin over `region` (the warped photo)."""
        if layer.alpha is None or layer.color is None:
            return region
        out = region.astype(np.float32)
        out += (layer.color - out) * layer.alpha[..., None]
        return np.asarray(np.clip(out + 0.5, 0, 255), dtype=np.uint8)

    def _lid_skin(self, image: Image) -> tuple[Field, Field]:
        """Per position across the eye: the colour of the skin just above the lashes and just
        under the lower lid (the 40th-80th percentile of each band: lashes and frames do not
        darken it, a reflection in glasses does not lighten it),
        smoothed across the eye."""
        e, fr = self.e, self.e.frame
        height, width = image.shape[:2]
        us = np.linspace(-e.half_width, e.half_width, 25, dtype=np.float32)
        band = np.arange(1.0, max(3.0, 0.5 * e.opening) + 1.0, 1.0, dtype=np.float32)
        colors = np.zeros((us.size, 3), dtype=np.float32)
        luma_of = np.array([0.114, 0.587, 0.299], dtype=np.float32)

        def typical(u: float, start: float, direction: float) -> npt.NDArray[np.float32]:
            pts = fr.origin + u * fr.ex + (start + direction * band)[:, None] * fr.ey
            xs = np.clip(np.round(pts[:, 0]).astype(int), 0, width - 1)
            ys = np.clip(np.round(pts[:, 1]).astype(int), 0, height - 1)
            samples = image[ys, xs].astype(np.float32)
            luma = samples @ luma_of
            lo, hi = np.percentile(luma, 40), np.percentile(luma, 80)
            return np.asarray(samples[(luma >= lo) & (luma <= hi)].mean(axis=0), dtype=np.float32)

        for i, u in enumerate(us):
            above = typical(float(u), float(np.interp(u, e.upper_u, e.upper_v)) - self.lash, -1.0)
            below = typical(float(u), float(np.interp(u, e.lower_u, e.lower_v)) + 0.2 * e.opening, 1.0)
            # A shut lid is lit like the skin around the eye: half the lid above, half the cheek below
            # (the skin above alone is often in the shadow of the brow or a frame).
            colors[i] = 0.5 * above + 0.5 * below
        kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0], dtype=np.float32) / 9.0
        smooth = np.stack([np.convolve(np.pad(colors[:, c], 2, mode="edge"), kernel, "valid") for c in range(3)], 1)
        return us, smooth.astype(np.float32)

    def _skin_grain(self, image: Image) -> Field:
        """Relative detail of the skin under the eye, mirrored and tiled over the box."""
        e, fr, box = self.e, self.e.frame, self.box
        shape = (box.y1 - box.y0, box.x1 - box.x0)
        centre = (fr.origin + fr.ey * np.float32(float(e.lower_v.max()) + 0.6 * e.opening)).astype(np.float32)
        half = (0.5 * e.half_width, max(2.0, 0.25 * e.opening))
        # Fine grain and the skin's small folds; damped and clipped, so freckles and pores
        # under the eye do not become spots on the lid.
        return skin_grain(image, centre, half, shape, sigma=max(1.5, 0.12 * e.opening), limit=0.2, gain=0.6)

