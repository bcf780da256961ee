"""Draw one video frame from the photo and that frame's animation parameters.

Only a rectangle around the head is resampled (one cv2.remap); the rest of the frame is
the untouched photo. The head-motion map is computed first; mouth and eyes then replace
the parts of it they own, so every pixel is sampled once from the original photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from talking_video_mcp.render.eyes import EyeAnimator
from talking_video_mcp.render.geometry import FaceGeometry
from talking_video_mcp.render.head import HeadMotion
from talking_video_mcp.render.image_io import Image
from talking_video_mcp.render.motion import Tracks
from talking_video_mcp.render.mouth import MouthAnimator

# Head motion moves pixels by a few px at most; regions get this much slack around them.
_MARGIN_FRACTION = 0.06


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
        self.eye_boxes = [eye.box.clip(height, width) for eye in self.eyes]
        self._mouth_slices = self.mouth_box.within(roi)
        self._eye_slices = [box.within(roi) for box in self.eye_boxes]

    def render(self, tracks: Tracks, index: int) -> Image:
        """Frame `index` of the animation described by `tracks`."""
        map_x, map_y = self.head.backward(
            float(tracks.head_dx[index]), float(tracks.head_dy[index]), float(tracks.head_roll[index]),
        )
        eye_layers = []
        for eye, (ys, xs) in zip(self.eyes, self._eye_slices, strict=True):
            qx, qy = map_x[ys, xs].copy(), map_y[ys, xs].copy()
            layer = eye.frame(qx, qy, float(tracks.blink[index]))
            if layer is not None:
                map_x[ys, xs], map_y[ys, xs] = layer.src_x, layer.src_y
                eye_layers.append((eye, ys, xs, qx, qy, layer))
        ys, xs = self._mouth_slices
        mouth = self.mouth.frame(
            map_x[ys, xs], map_y[ys, xs], float(tracks.mouth_open[index]), float(tracks.mouth_width[index]),
        )
        if mouth is not None:
            map_x[ys, xs], map_y[ys, xs] = mouth.src_x, mouth.src_y
        warped = np.asarray(
            cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101), dtype=np.uint8,
        )
        for eye, eys, exs, qx, qy, layer in eye_layers:
            warped[eys, exs] = eye.composite(warped[eys, exs], qx, qy, layer)
        if mouth is not None:
            region = warped[ys, xs].astype(np.float32)
            alpha = mouth.alpha[..., None]
            warped[ys, xs] = np.clip(region + (mouth.color - region) * alpha + 0.5, 0, 255).astype(np.uint8)
        frame = self.image.copy()
        frame[self.head.box.slices] = warped
        return frame
