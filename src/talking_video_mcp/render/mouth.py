"""Open the mouth: move the person's own lips and jaw, and shade the gap from the photo.

Along each line across the mouth the warp is piecewise linear in `v` (distance below the
lip line): the upper lip lifts a little, the lower lip and chin drop, the neck below the
chin and the nose above the lip stay; the lips keep their own texture. The corners come
in for rounded visemes (o, u) and go out for spread ones (i, e). Between the lips a
lens-shaped gap opens (widest in the middle, closed at the corners) and is shaded from the
photo's own tones: its darkest lip/shadow pixels at the back and in the corners, the lip
in shade at the rim, a dim tongue low down once the jaw drops, and, for a photo with
closed lips, the edges of the upper teeth as a shaded hint only where the gap is wide
enough to show them. Edges are soft in proportion to the mouth and the gap; animate.py
multiplies the inside by the photo's own grain (grain.py), so it is as sharp as the skin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.geometry import MouthGeometry
from talking_video_mcp.render.grain import skin_grain
from talking_video_mcp.render.head import Box, points_box
from talking_video_mcp.render.image_io import Image

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
    def __init__(self, mouth: MouthGeometry, margin: float, face_width: float | None = None) -> None:
        self.m = mouth
        w = mouth.half_width
        # A small mouth in a broad face (the Mona Lisa) still drops its jaw like any other.
        self.max_open = MAX_OPEN * max(w, 0.2 * (face_width or 0.0))
        self.feather = max(1.0, 0.06 * w)
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
        lip, shadow = mouth.lip_color, mouth.shadow_color
        # Every tone of the inside comes from the photo: its darkest lip/shadow pixels at
        # the back, the lip itself (in shade) at the rim, the tongue between the two.
        self.deep = np.asarray(shadow * 0.7, dtype=np.float32)
        self.rim = np.asarray(0.55 * lip + 0.45 * shadow, dtype=np.float32)
        self.tongue = np.asarray(0.45 * lip + 0.55 * shadow, dtype=np.float32)
        # Teeth in the mouth's shade: the photo's skin highlight, greyed, at about 60%.
        self.teeth_tone = np.asarray(mouth.teeth_color * 0.78, dtype=np.float32)
        self.texture = np.zeros((self.box.y1 - self.box.y0, self.box.x1 - self.box.x0), dtype=np.float32)

    def use_photo_texture(self, image: Image, box: Box) -> None:
        """Take the interior's grain from `image` for the (clipped) region `box`."""
        self.texture = photo_texture(image, self.m, box)

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
        # A soft edge that grows with the opening: the inner lip rolls into the shadow.
        f = np.asarray(self.feather + 0.2 * gap, dtype=np.float32)
        top_edge = np.asarray((vp + up) / f + 0.15, dtype=np.float32)
        bottom_edge = np.asarray((low - vp) / f + 0.15, dtype=np.float32)
        inside = np.asarray(_smooth01(top_edge) * _smooth01(bottom_edge), dtype=np.float32)
        alpha = (inside * np.clip(gap / (2.0 * self.feather) - 0.1, 0.0, 1.0)).astype(np.float32)
        color = np.zeros((*alpha.shape, 3), dtype=np.float32)
        rows = np.flatnonzero(alpha.max(axis=1) > 0)
        cols = np.flatnonzero(alpha.max(axis=0) > 0)
        if rows.size == 0 or cols.size == 0:
            return alpha, color
        ys, xs = slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
        color[ys, xs] = self._interior(un[ys, xs], vp[ys, xs] + up[ys, xs], gap[ys, xs])
        return alpha, color

    def _interior(self, un: Field, from_top: Field, gap: Field) -> Field:
        """The photo's own shadow tones: lip-coloured at the rim, darkest at the back."""
        w = self.m.half_width
        safe_gap = np.maximum(gap, 1e-3)
        s = np.clip(from_top / safe_gap, 0.0, 1.0)  # 0 at the upper lip, 1 at the lower
        au = np.abs(un)
        # Distance to the nearest lip, in half-gaps (0 at the rim, 1 in the middle).
        rim = np.minimum(s, 1.0 - s) * 2.0
        depth = np.clip(rim * (0.6 + 0.4 * np.clip(gap / (0.35 * w), 0.0, 1.0)), 0.0, 1.0)
        depth = np.maximum(depth, np.clip((au - 0.55) / 0.45, 0.0, 1.0))  # the corners are deep
        light = np.exp(-np.square(depth / 0.45))[..., None]
        color = self.deep + (self.rim - self.deep) * light
        gmax = float(gap.max())
        # The tongue: a dim, lip-toned mound low in the middle, once the jaw is down.
        show = float(np.clip((gmax / w - 0.25) / 0.3, 0.0, 1.0))
        if show > 0:
            top = 1.0 - 0.3 * np.sqrt(np.clip(1.0 - np.square(un / 0.6), 0.0, 1.0))
            tongue_a = _smooth01((s - top) / 0.12) * show * 0.7
            color += (self.tongue - color) * tongue_a[..., None]
        if self.teeth > 0:
            color = self._upper_teeth(color, au, from_top, gap)
        return np.asarray(color, dtype=np.float32)

    def _upper_teeth(self, color: Field, au: Field, from_top: Field, gap: Field) -> Field:
        """The upper front teeth's edges, in the upper lip's shadow, only where the gap is
        wide enough to show them: a soft, shaded band, never a white row."""
        w = self.m.half_width
        show = np.clip((gap / w - 0.2) / 0.25, 0.0, 1.0)
        height = np.minimum(0.3 * gap, 0.2 * w)
        soft = np.maximum(1.0, 0.35 * height)
        band = _smooth01((height - from_top) / soft + 0.5) * _smooth01(from_top / self.feather + 0.3)
        # Lit from above and in front: the lip's shadow at the top, darker towards the corners.
        shade = (0.45 + 0.35 * np.clip(from_top / np.maximum(height, 1e-3), 0.0, 1.0)) * (1.0 - 0.6 * au * au)
        teeth_a = band * show * _taper(au, 0.3, 0.7) * 0.7 * self.teeth
        teeth = self.teeth_tone[None, None, :] * shade[..., None]
        return np.asarray(color + (teeth - color) * teeth_a[..., None], dtype=np.float32)


def _smooth01(x: npt.NDArray[np.floating]) -> Field:
    """Smoothstep of x clipped to 0..1: a soft edge without a visible kink."""
    t = np.clip(x, 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float32)


def photo_texture(image: Image, mouth: MouthGeometry, box: Box) -> Field:
    """The photo's own grain for the mouth box: relative luminance detail of the skin
    under the lower lip, mirrored and tiled.

    Multiplying the painted interior by (1 + texture) gives it the photo's sharpness,
    noise and JPEG texture, so the inside of the mouth is neither smoother nor grainier
    than the skin around it.
    """
    fr, w = mouth.frame, mouth.half_width
    top_v = float(np.mean(mouth.mid_v)) + mouth.lower_lip + 0.15 * mouth.chin
    bottom_v = top_v + 0.35 * mouth.chin
    centre = (fr.origin + fr.ey * np.float32((top_v + bottom_v) / 2)).astype(np.float32)
    half = (0.45 * w, max(2.0, (bottom_v - top_v) / 2))
    shape = (box.y1 - box.y0, box.x1 - box.x0)
    return skin_grain(image, centre, half, shape, sigma=max(1.5, 0.03 * w), limit=0.4)
