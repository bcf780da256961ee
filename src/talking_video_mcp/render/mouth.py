"""Open the mouth: split the lips, drop the jaw, and paint the gap as a mouth interior.

Along each line across the mouth the warp is piecewise linear in `v` (distance below the
lip line): the upper lip lifts a little, the lower lip and chin drop, the neck below the
chin and the nose above the lip stay. Between the lips a lens-shaped gap opens (widest in
the middle, closed at the corners; rounder for o/u, flatter for i/e) and is filled with a
mouth interior drawn from the photo's own colours: a warm cavity that darkens towards the
back and the corners, the wet inner lip along its rim, upper teeth with separations and
the upper lip's shadow, lower teeth and a shaded tongue when the jaw drops far enough.
Edges are feathered in proportion to the mouth's size, so 1080p looks like 512 px.
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


# Tooth boundaries across the upper teeth (fractions of the half-width from the middle):
# central incisors widest, then narrower teeth, foreshortened towards the corners.
_TOOTH_EDGES = np.array([0.0, 0.2, 0.37, 0.5, 0.61, 0.7, 0.78], dtype=np.float32)


class MouthAnimator:
    def __init__(self, mouth: MouthGeometry, margin: float, face_width: float | None = None) -> None:
        self.m = mouth
        w = mouth.half_width
        # A small mouth in a broad face (the Mona Lisa) still drops its jaw like any other.
        self.max_open = MAX_OPEN * max(w, 0.2 * (face_width or 0.0))
        self.feather = max(1.0, 0.025 * w)
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
        warm = np.array([0.85, 0.9, 1.25], dtype=np.float32)  # BGR: the inside of a mouth is redder
        self.deep = np.clip(lip * warm * 0.13 + np.array([3, 3, 8], dtype=np.float32), 0, 255).astype(np.float32)
        self.shallow = np.clip(lip * warm * 0.42, 0, 255).astype(np.float32)
        self.inner_lip = np.clip(lip * 0.5, 0, 255).astype(np.float32)
        self.tongue = np.clip(lip * np.array([0.62, 0.62, 0.8], dtype=np.float32), 0, 255).astype(np.float32)

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
        near = _taper(np.abs(u) / w, 0.9, 2.0) * _taper(np.abs(np.minimum(vp, 0)) / m.upper_extent, 0.2, 1.0)
        near *= _taper(np.maximum(vp, 0) / m.chin, 0.2, 0.9)
        us = u * (1.0 + (1.0 / width - 1.0) * near)
        # Rounded lips (o, u) open as an oval, spread lips (i, e) as a flatter slit.
        power = float(np.clip(0.65 - 1.2 * (width - 1.0), 0.45, 0.85))
        gap = open_px * np.clip(1.0 - (us / w) ** 2, 0.0, 1.0) ** power
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
        f = self.feather
        inside = np.clip((vp + up) / f + 0.5, 0.0, 1.0) * np.clip((low - vp) / f + 0.5, 0.0, 1.0)
        alpha = (inside * np.clip(gap - 0.3, 0.0, 1.0)).astype(np.float32)
        color = np.zeros((*alpha.shape, 3), dtype=np.float32)
        rows = np.flatnonzero(alpha.max(axis=1) > 0)
        cols = np.flatnonzero(alpha.max(axis=0) > 0)
        if rows.size == 0 or cols.size == 0:
            return alpha, color
        ys, xs = slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
        color[ys, xs] = self._interior(un[ys, xs], vp[ys, xs], up[ys, xs], gap[ys, xs])
        return alpha, color

    def _interior(self, un: Field, vp: Field, up: Field, gap: Field) -> Field:
        w = self.m.half_width
        safe_gap = np.maximum(gap, 1e-3)
        from_top = vp + up
        s = np.clip(from_top / safe_gap, 0.0, 1.0)  # 0 at the upper lip, 1 at the lower
        au = np.abs(un)
        across = np.clip(1.0 - un * un, 0.0, 1.0)
        # Cavity: lighter and redder near the lips, dark at the back and in the corners.
        radial = np.sqrt(un * un + np.square(2.0 * s - 1.0))
        light = _taper(1.0 - np.clip(radial, 0.0, 1.0), 0.0, 0.75)[..., None]
        color = self.deep + (self.shallow - self.deep) * (1.0 - light)
        gmax = float(gap.max())
        # Tongue: a low mound in the middle, lit along its top, shaded at its sides.
        if gmax > 0.12 * w:
            show = float(np.clip((gmax / w - 0.12) / 0.25, 0.0, 1.0))
            top = 1.0 - 0.32 * np.sqrt(np.clip(1.0 - np.square(un / 0.62), 0.0, 1.0))
            tongue_a = np.clip((s - top) * gap / self.feather + 0.5, 0.0, 1.0) * show
            tongue_a *= _taper(au, 0.45, 0.7)
            depth = np.clip((s - top) / 0.25, 0.0, 1.0)
            shade = (0.6 + 0.3 * (1.0 - depth)) * (1.0 - 0.35 * np.clip(au / 0.6, 0.0, 1.0) ** 2)
            ridge = np.exp(-np.square((s - top) * gap / max(1.0, 0.05 * w))) * 0.18
            tongue = self.tongue * (shade + ridge)[..., None]
            color += (tongue - color) * tongue_a[..., None]
        # Lower teeth: a thin row behind the lower lip once the jaw is well down.
        if self.teeth > 0 and gmax > 0.3 * w:
            low_px = np.minimum(0.16 * gap, 0.07 * w * 2.0)
            from_bottom = gap - from_top
            band = np.clip((low_px - from_bottom) / self.feather + 0.5, 0.0, 1.0) * np.clip(from_bottom + 0.5, 0, 1)
            low_a = band * _taper(au, 0.3, 0.6) * 0.8 * self.teeth * float(np.clip((gmax / w - 0.3) / 0.2, 0, 1))
            lower = self.m.teeth_color * 0.78
            color += (lower[None, None, :] * (1.0 - 0.3 * au)[..., None] - color) * low_a[..., None]
        if self.teeth > 0:
            color = self._upper_teeth(color, un, au, from_top, gap)
        # The wet inner rim of both lips, a little lighter and redder than the cavity.
        rim = np.maximum(
            np.exp(-np.square(from_top / max(1.0, 0.06 * w))), np.exp(-np.square((gap - from_top) / max(1.0, 0.06 * w)))
        ) * across * 0.4
        color += (self.inner_lip - color) * rim[..., None]
        return np.asarray(color, dtype=np.float32)

    def _upper_teeth(self, color: Field, un: Field, au: Field, from_top: Field, gap: Field) -> Field:
        """Upper incisors and their neighbours under the upper lip, in the lip's shadow."""
        w = self.m.half_width
        teeth_px = np.minimum(0.36 * gap, 0.12 * w * 2.0)
        # Each tooth's lower edge is slightly rounded: shorter at its sides.
        k = np.searchsorted(_TOOTH_EDGES, au).clip(1, _TOOTH_EDGES.size - 1)
        left, right = _TOOTH_EDGES[k - 1], _TOOTH_EDGES[k]
        pos = np.clip((au - left) / np.maximum(right - left, 1e-3), 0.0, 1.0)
        edge = teeth_px * (1.0 - 0.12 * np.square(2.0 * pos - 1.0))
        band = np.clip((edge - from_top) / self.feather + 0.5, 0.0, 1.0) * np.clip(from_top + 0.5, 0.0, 1.0)
        rel = np.clip(from_top / np.maximum(teeth_px, 1e-3), 0.0, 1.0)
        shade = 0.78 + 0.22 * np.clip(from_top / max(1.0, 0.08 * w), 0.0, 1.0)  # the lip's shadow on top
        shade *= 1.0 - 0.08 * rel
        shade *= 1.0 - 0.45 * np.clip(au / 0.8, 0.0, 1.0) ** 2  # turning away towards the corners
        seam_px = max(0.6, 0.012 * w * 2.0)
        seam = np.exp(-np.square((np.minimum(pos, 1.0 - pos) * (right - left) * w) / seam_px))
        shade *= 1.0 - 0.22 * seam
        teeth_a = band * _taper(au, 0.6, 0.86) * 0.92 * self.teeth
        teeth = self.m.teeth_color[None, None, :] * shade[..., None]
        return np.asarray(color + (teeth - color) * teeth_a[..., None], dtype=np.float32)
