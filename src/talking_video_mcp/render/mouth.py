"""Open the mouth: split the lips, drop the jaw, and paint the gap as a mouth interior.

Along each line across the mouth the warp is piecewise linear in `v` (distance below the
lip line): the upper lip lifts a little, the lower lip and chin drop, the neck below the
chin and the nose above the lip stay. Between the lips a lens-shaped gap opens (widest in
the middle, closed at the corners) and is filled with a dark cavity shaded from the
photo's own lip colour, with a hint of upper teeth and tongue and 1 px feathered edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.geometry import MouthGeometry
from talking_video_mcp.render.head import Box, points_box

Field = npt.NDArray[np.float32]

UPPER_SHARE = 0.28  # share of the opening taken by the upper lip; the jaw does the rest
MAX_OPEN = 0.62  # widest gap, in mouth half-widths (about 30% of the mouth's width)


def _taper(x: Field, start: float, stop: float) -> Field:
    """1 up to `start`, smooth fall to 0 at `stop` (x >= 0)."""
    t = np.clip((x - start) / (stop - start), 0.0, 1.0)
    return np.asarray(1.0 - t * t * (3.0 - 2.0 * t), dtype=np.float32)


@dataclass(frozen=True)
class MouthFrame:
    """The mouth's warp of one frame: source coordinates and the cavity layer."""

    src_x: Field
    src_y: Field
    alpha: Field
    color: npt.NDArray[np.float32]


class MouthAnimator:
    def __init__(self, mouth: MouthGeometry, margin: float) -> None:
        self.m = mouth
        w = mouth.half_width
        self.max_open = MAX_OPEN * w
        self.tail = mouth.chin  # the neck region that absorbs the chin's drop
        frame = mouth.frame
        corners = []
        for u in (-2.1 * w, 2.1 * w):
            for v in (-mouth.upper_extent - 2.0, mouth.chin + self.tail + 2.0):
                corners.append(frame.origin + u * frame.ex + (v + float(np.mean(mouth.mid_v))) * frame.ey)
        self.box: Box = points_box(np.array(corners, dtype=np.float32), margin)
        # Teeth only when the photo's lips are closed; a smile with teeth already has them.
        self.teeth = float(np.clip(1.0 - mouth.photo_gap / (0.18 * w), 0.0, 1.0))
        # With teeth already showing, the upper teeth belong to the skull and stay put:
        # the upper lip barely lifts and the jaw makes the whole opening.
        self.upper_share = UPPER_SHARE * (0.25 + 0.75 * self.teeth)
        lip = mouth.lip_color
        self.deep = np.clip(lip * 0.16 + 4.0, 0, 255).astype(np.float32)
        self.shallow = np.clip(lip * 0.36, 0, 255).astype(np.float32)
        self.tongue = np.clip(lip * 0.72, 0, 255).astype(np.float32)

    def frame(self, qx: Field, qy: Field, openness: float, width: float) -> MouthFrame | None:
        """Warp for the region's output pixels, whose head-motion sources are (qx, qy)."""
        open_px = float(np.clip(openness, 0.0, 1.0)) * self.max_open
        if open_px < 0.25 and abs(width - 1.0) < 0.01:
            return None
        m = self.m
        w = m.half_width
        fr = m.frame
        rx, ry = qx - fr.origin[0], qy - fr.origin[1]
        u = rx * fr.ex[0] + ry * fr.ex[1]
        v = rx * fr.ey[0] + ry * fr.ey[1]
        vp = v - np.interp(u, m.mid_u, m.mid_v).astype(np.float32)
        # Rounded lips: sample further out so the lips look narrower (or wider).
        near = _taper(np.abs(u) / w, 1.0, 1.8) * _taper(np.abs(np.minimum(vp, 0)) / m.upper_extent, 0.6, 1.0)
        near *= _taper(np.maximum(vp, 0) / m.chin, 0.4, 0.8)
        us = u * (1.0 + (1.0 / width - 1.0) * near)
        gap = open_px * np.clip(1.0 - (us / w) ** 2, 0.0, 1.0) ** 0.65
        up = self.upper_share * gap
        low = gap - up
        drop = (1.0 - self.upper_share) * open_px * _taper(np.abs(us) / w, 1.0, 2.0)
        hu, chin, tail = m.upper_extent, m.chin, self.tail
        upper_src = -hu + (vp + hu) * (hu / np.maximum(hu - up, 1e-3))
        jaw_src = (vp - low) * (chin / np.maximum(chin + drop - low, 1e-3))
        neck_src = chin + (vp - chin - drop) * (tail / np.maximum(tail - drop, 1e-3))
        vs = np.select(
            [vp <= -hu, vp <= -up, vp < low, vp < chin + drop, vp < chin + tail],
            [vp, upper_src, np.zeros_like(vp), jaw_src, neck_src],
            default=vp,
        ).astype(np.float32)
        du, dv = us - u, vs - vp
        src_x = qx + du * fr.ex[0] + dv * fr.ey[0]
        src_y = qy + du * fr.ex[1] + dv * fr.ey[1]
        alpha, color = self._cavity(us / w, vp, up, low, gap)
        return MouthFrame(src_x.astype(np.float32), src_y.astype(np.float32), alpha, color)

    def _cavity(self, un: Field, vp: Field, up: Field, low: Field, gap: Field) -> tuple[Field, Field]:
        """Coverage and colour of the mouth interior in the gap between the lips."""
        inside = np.clip(vp + up + 0.5, 0.0, 1.0) * np.clip(low - vp + 0.5, 0.0, 1.0)
        alpha = (inside * np.clip(gap - 0.3, 0.0, 1.0)).astype(np.float32)
        s = np.clip((vp + up) / np.maximum(gap, 1e-3), 0.0, 1.0)  # 0 at the upper lip, 1 at the lower
        across = np.clip(1.0 - un * un, 0.0, 1.0)
        depth = (1.0 - np.abs(2.0 * s - 1.0)) * across
        color = self.shallow + (self.deep - self.shallow) * depth[..., None]
        # Tongue: a lighter, warmer bottom in the middle.
        tongue_a = np.clip((s - 0.62) / 0.38, 0.0, 1.0) * across * 0.5
        color += (self.tongue - color) * tongue_a[..., None]
        if self.teeth > 0:
            # Upper teeth: a band under the upper lip, brightest in the middle, darker at the
            # corners and towards their edge, with the lip's shadow along the top.
            teeth_px = np.minimum(0.34 * gap, 0.11 * self.m.half_width * 2.0)
            from_top = vp + up
            band = np.clip(teeth_px - from_top + 0.5, 0.0, 1.0) * np.clip(from_top + 0.5, 0.0, 1.0)
            rel = np.clip(from_top / np.maximum(teeth_px, 1e-3), 0.0, 1.0)
            shade = (1.0 - 0.12 * rel) * (0.8 + 0.2 * np.clip(from_top, 0.0, 1.0))
            shade *= 1.0 - 0.25 * np.clip(np.abs(un) / 0.8, 0.0, 1.0) ** 2
            teeth_a = band * _taper(np.abs(un), 0.4, 0.82) * 0.88 * self.teeth
            teeth = self.m.teeth_color[None, None, :] * shade[..., None]
            color += (teeth - color) * teeth_a[..., None]
        return alpha, color.astype(np.float32)
