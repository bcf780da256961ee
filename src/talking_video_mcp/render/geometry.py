"""Turn the 468 face-mesh landmarks into the few measurements the animation needs.

Mouth and eyes each get their own frame of reference: `u` runs along the corner-to-corner
axis, `v` points down across it. Working in those frames keeps the warps simple (one
dimension each) and makes tilted faces work like upright ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.image_io import Image

Vec = npt.NDArray[np.float32]

# MediaPipe face-mesh topology (canonical indices), left to right in the image.
INNER_UPPER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LOWER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
OUTER_UPPER_LIP = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
OUTER_LOWER_LIP = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
SUBNASALE, CHIN, FOREHEAD = 2, 152, 10
FACE_LEFT, FACE_RIGHT = 234, 454
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)
# (corner, upper lid..., corner), (corner, lower lid..., corner), brow: image-left eye first.
EYES = (
    ((33, 246, 161, 160, 159, 158, 157, 173, 133), (33, 7, 163, 144, 145, 153, 154, 155, 133), (46, 53, 52, 65, 55)),
    ((362, 398, 384, 385, 386, 387, 388, 466, 263), (362, 382, 381, 380, 374, 373, 390, 249, 263),
     (285, 295, 282, 283, 276)),
)


@dataclass(frozen=True)
class Frame2D:
    """An origin and two unit axes: u along the feature, v perpendicular, pointing down."""

    origin: Vec
    ex: Vec
    ey: Vec

    def to_local(self, points: Vec) -> tuple[Vec, Vec]:
        rel = np.asarray(points, dtype=np.float32) - self.origin
        return (rel @ self.ex).astype(np.float32), (rel @ self.ey).astype(np.float32)


def _frame(left: Vec, right: Vec) -> Frame2D:
    axis = (right - left).astype(np.float32)
    ex = axis / max(float(np.linalg.norm(axis)), 1e-6)
    ey = np.array([-ex[1], ex[0]], dtype=np.float32)
    return Frame2D(((left + right) / 2).astype(np.float32), ex.astype(np.float32), ey)


@dataclass(frozen=True)
class MouthGeometry:
    """The mouth in its own frame.

    `mid_u/mid_v` trace the line where the lips meet (or the middle of the gap if the photo
    shows an open mouth); the jaw drops below it and the upper lip lifts above it.
    """

    frame: Frame2D
    half_width: float
    mid_u: Vec
    mid_v: Vec
    photo_gap: float
    upper_extent: float
    chin: float
    lip_color: Vec
    teeth_color: Vec
    outer_polygon: Vec
    shadow_color: Vec
    lower_lip: float


@dataclass(frozen=True)
class EyeGeometry:
    frame: Frame2D
    half_width: float
    upper_u: Vec
    upper_v: Vec
    lower_u: Vec
    lower_v: Vec
    opening: float
    brow_gap: float


@dataclass(frozen=True)
class FaceGeometry:
    mouth: MouthGeometry
    eyes: tuple[EyeGeometry, EyeGeometry]
    center: Vec
    width: float
    height: float
    oval: Vec
    chin_point: Vec


def _mean_color(image: Image, include: Vec, exclude: Vec | None = None) -> Vec:
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(include).astype(np.int32)], 255)
    if exclude is not None:
        cv2.fillPoly(mask, [np.round(exclude).astype(np.int32)], 0)
    if int(mask.sum()) == 0:
        return np.array([90, 90, 150], dtype=np.float32)
    return np.array(cv2.mean(image, mask=mask)[:3], dtype=np.float32)


def _mouth(points: Vec, image: Image) -> MouthGeometry:
    frame = _frame(points[INNER_UPPER_LIP[0]], points[INNER_UPPER_LIP[-1]])
    uu, uv = frame.to_local(points[list(INNER_UPPER_LIP)])
    lu, lv = frame.to_local(points[list(INNER_LOWER_LIP)])
    mid_u = ((uu + lu) / 2).astype(np.float32)
    mid_v = ((uv + lv) / 2).astype(np.float32)
    order = np.argsort(mid_u)
    mid_u, mid_v = mid_u[order], mid_v[order]
    center = len(INNER_UPPER_LIP) // 2
    centre_v = float(mid_v[np.argmin(np.abs(mid_u))])
    _, nose_v = frame.to_local(points[[SUBNASALE]])
    _, chin_v = frame.to_local(points[[CHIN]])
    outer = np.concatenate([points[list(OUTER_UPPER_LIP)], points[list(OUTER_LOWER_LIP)][::-1]])
    inner = np.concatenate([points[list(INNER_UPPER_LIP)], points[list(INNER_LOWER_LIP)][::-1]])
    lip = _mean_color(image, outer, inner)
    _, low_outer_v = frame.to_local(points[[OUTER_LOWER_LIP[len(OUTER_LOWER_LIP) // 2]]])
    return MouthGeometry(
        frame=frame,
        half_width=float(np.linalg.norm(points[INNER_UPPER_LIP[-1]] - points[INNER_UPPER_LIP[0]]) / 2),
        mid_u=mid_u,
        mid_v=mid_v,
        photo_gap=float(lv[center] - uv[center]),
        upper_extent=max(2.0, centre_v - float(nose_v[0])),
        chin=max(4.0, float(chin_v[0]) - centre_v),
        lip_color=lip,
        teeth_color=_teeth_color(image, points, lip),
        outer_polygon=outer.astype(np.float32),
        shadow_color=_shadow_color(image, outer, lip),
        lower_lip=max(1.0, float(low_outer_v[0]) - centre_v),
    )


def _shadow_color(image: Image, outer: Vec, lip: Vec) -> Vec:
    """The photo's own darkest tone in and around the lips (where they meet, the corners).

    The inside of an opened mouth is painted from it, so a sepia photo gets a sepia mouth
    and a dim one a dim mouth."""
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(outer).astype(np.int32)], 255)
    pixels = image[mask > 0].astype(np.float32)
    if pixels.shape[0] < 8:
        return np.asarray(lip * 0.35, dtype=np.float32)
    luma = pixels @ np.array([0.114, 0.587, 0.299], dtype=np.float32)
    dark = pixels[luma <= np.percentile(luma, 6)].mean(axis=0)
    # Never lighter than a shaded lip: a pale fissure (a smiling photo's teeth) is no shadow.
    return np.asarray(np.minimum(dark, lip * 0.5), dtype=np.float32)


def _teeth_color(image: Image, points: Vec, lip: Vec) -> Vec:
    """Off-white matched to the photo: its skin highlights, mostly desaturated.

    A black-and-white or sepia photo thus gets grey or sepia teeth, not pure white.
    """
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(FACE_OVAL)]).astype(np.int32)], 255)
    skin = image[mask > 0].astype(np.float32)
    if skin.size == 0:
        return np.array([215, 222, 228], dtype=np.float32)
    luma = skin @ np.array([0.114, 0.587, 0.299], dtype=np.float32)
    highlight = skin[luma >= np.percentile(luma, 90)].mean(axis=0)
    grey = float(highlight.mean())
    teeth = 0.4 * highlight + 0.6 * grey
    return np.asarray(np.clip(teeth * 1.02 + 8.0, 0, 245), dtype=np.float32)


def _eye(points: Vec, upper: tuple[int, ...], lower: tuple[int, ...], brow: tuple[int, ...]) -> EyeGeometry:
    frame = _frame(points[upper[0]], points[upper[-1]])
    up_u, up_v = frame.to_local(points[list(upper)])
    lo_u, lo_v = frame.to_local(points[list(lower)])
    o_up, o_lo = np.argsort(up_u), np.argsort(lo_u)
    up_u, up_v, lo_u, lo_v = up_u[o_up], up_v[o_up], lo_u[o_lo], lo_v[o_lo]
    opening = float(np.max(np.interp(up_u, lo_u, lo_v) - up_v))
    _, brow_v = frame.to_local(points[list(brow)])
    top = float(np.min(up_v))
    return EyeGeometry(
        frame=frame,
        half_width=float(np.linalg.norm(points[upper[-1]] - points[upper[0]]) / 2),
        upper_u=up_u, upper_v=up_v, lower_u=lo_u, lower_v=lo_v,
        opening=max(opening, 0.5),
        brow_gap=max(2.0, top - float(np.median(brow_v))),  # to the brow above the eye, not its low inner end
    )


def face_geometry(points: Vec, image: Image) -> FaceGeometry:
    """Measure mouth, eyes and face outline from landmarks in image pixels."""
    points = np.asarray(points, dtype=np.float32)
    eyes = tuple(_eye(points, up, lo, brow) for up, lo, brow in EYES)
    width = float(np.linalg.norm(points[FACE_RIGHT] - points[FACE_LEFT]))
    height = float(np.linalg.norm(points[CHIN] - points[FOREHEAD]))
    oval = points[list(FACE_OVAL)]
    return FaceGeometry(
        mouth=_mouth(points, image),
        eyes=(eyes[0], eyes[1]),
        center=oval.mean(axis=0).astype(np.float32),
        width=max(width, 1.0),
        height=max(height, 1.0),
        oval=oval.astype(np.float32),
        chin_point=points[CHIN].astype(np.float32),
    )

