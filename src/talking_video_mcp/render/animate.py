"""Draw one video frame from the photo and that frame's animation parameters.

Only a rectangle around the head is resampled (one cv2.remap); the rest of the frame is
the untouched photo. The head-motion map is computed first; mouth and eyes then replace
the parts of it they own, so every pixel is sampled once from the original photo. Two
thin layers go on top: the inside of an open mouth and, mid-blink, the part of a lid the
photo has no skin to move there (both shaded from the photo, with its grain).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.eyes import EyeAnimator
from talking_video_mcp.render.geometry import FaceGeometry
from talking_video_mcp.render.head import HeadMotion
from talking_video_mcp.render.image_io import Image
from talking_video_mcp.render.motion import Tracks
from talking_video_mcp.render.mouth import Field, MouthAnimator, MouthFrame

# Head motion moves pixels by a few px at most; regions get this much slack around them.
_MARGIN_FRACTION = 0.06
# Mouths wider than this (half-width, px) are warped on a half-resolution grid and the
# smooth warp is scaled up: a quarter of the work at 1080p, with no visible difference.
_HALF_RES_MOUTH = 48.0


def _upsample(mouth: MouthFrame, qx: Field, qy: Field) -> MouthFrame:
    """A mouth frame computed on every other pixel, brought to the full grid of (qx, qy)."""
    size = (qx.shape[1], qx.shape[0])
    half_x, half_y = qx[::2, ::2], qy[::2, ::2]

    def up(field: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return np.asarray(cv2.resize(field, size, interpolation=cv2.INTER_LINEAR), dtype=np.float32)

    return MouthFrame(
        qx + up(mouth.src_x - half_x), qy + up(mouth.src_y - half_y), up(mouth.alpha), up(mouth.color),
    )


class FaceAnimator:
    def __init__(self, image: Image, geometry: FaceGeometry) -> None:
        self.image = image
        height, width = image.shape[:2]
        margin = max(4.0, _MARGIN_FRACTION * geometry.width)
        self.head = HeadMotion(geometry, height, width)
        self.mouth = MouthAnimator(geometry.mouth, margin, geometry.width)
        self.eyes = [EyeAnimator(eye, image, margin) for eye in geometry.eyes]
        for region in (self.mouth.box, *(eye.box for eye in self.eyes)):
            self.head.grow(region, (height, width))
        roi = self.head.box
        self.mouth_box = self.mouth.box.clip(height, width)
        self.mouth.use_photo_texture(image, self.mouth_box)
        self.eye_boxes = [eye.box.clip(height, width) for eye in self.eyes]
        self._mouth_slices = self.mouth_box.within(roi)
        self._eye_slices = [box.within(roi) for box in self.eye_boxes]
        self._half_res_mouth = geometry.mouth.half_width > _HALF_RES_MOUTH
        # Outside the head's region the frame never changes: keep one buffer and redraw the region.
        self._frame = image.copy()

    def render(self, tracks: Tracks, index: int) -> Image:
        """Frame `index` of the animation described by `tracks`.

        The array returned is reused by the next call: copy it to keep it."""
        map_x, map_y = self.head.backward(
            float(tracks.head_dx[index]), float(tracks.head_dy[index]), float(tracks.head_roll[index]),
        )
        blink, gaze, brow = float(tracks.blink[index]), float(tracks.gaze[index]), float(tracks.brow[index])
        lids = []
        for eye, (ys, xs) in zip(self.eyes, self._eye_slices, strict=True):
            layer = eye.frame(map_x[ys, xs], map_y[ys, xs], blink, gaze, brow)
            if layer is not None:
                map_x[ys, xs], map_y[ys, xs] = layer.src_x, layer.src_y
                if layer.alpha is not None:
                    lids.append((eye, ys, xs, layer))
        ys, xs = self._mouth_slices
        qx, qy = map_x[ys, xs], map_y[ys, xs]
        openness, width = float(tracks.mouth_open[index]), float(tracks.mouth_width[index])
        if self._half_res_mouth:
            mouth = self.mouth.frame(qx[::2, ::2], qy[::2, ::2], openness, width)
            if mouth is not None:
                mouth = _upsample(mouth, qx, qy)
        else:
            mouth = self.mouth.frame(qx, qy, openness, width)
        grain = None
        if mouth is not None:
            # The photo's grain, moving with the head like the rest of the mouth.
            box = self.mouth_box
            grain = cv2.remap(self.mouth.texture, qx - np.float32(box.x0), qy - np.float32(box.y0),
                              cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
            map_x[ys, xs], map_y[ys, xs] = mouth.src_x, mouth.src_y
        warped = np.asarray(
            cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101), dtype=np.uint8,
        )
        for eye, eys, exs, layer in lids:
            warped[eys, exs] = eye.composite(warped[eys, exs], layer)
        if mouth is not None and grain is not None:
            region = warped[ys, xs].astype(np.float32)
            alpha = mouth.alpha[..., None]
            # The painted inside takes the photo's own grain, so it is as sharp as the skin.
            color = mouth.color * (1.0 + grain)[..., None]
            warped[ys, xs] = np.clip(region + (color - region) * alpha + 0.5, 0, 255).astype(np.uint8)
        self._frame[self.head.box.slices] = warped
        return self._frame
