"""Which part of the photo becomes the video, and at what size.

`framing` is "photo" (the whole photo) or a head-and-shoulders crop around the face:
"portrait" (9:16), "square" (1:1) or "landscape" (16:9). The output's short side is the
requested `resolution` (512, 720 or 1080) or, by default, the largest the photo supports
up to 1080; both sides are even, as H.264 in yuv420p needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Framing = Literal["photo", "portrait", "square", "landscape"]
FRAMINGS: tuple[Framing, ...] = ("photo", "portrait", "square", "landscape")
RESOLUTIONS: tuple[int, ...] = (512, 720, 1080)
MAX_SHORT_SIDE = 1080

# framing → (width / height, crop height in face heights)
_CROPS: dict[str, tuple[float, float]] = {
    "portrait": (9 / 16, 3.6),
    "square": (1.0, 2.8),
    "landscape": (16 / 9, 2.5),
}
# Where the face's centre sits in a head-and-shoulders crop, from the top.
_FACE_Y = 0.42


@dataclass(frozen=True)
class Crop:
    """A rectangle of the photo (x, y, width, height in photo pixels, floats)."""

    x: float
    y: float
    width: float
    height: float


def check_choice(resolution: int | None, framing: str) -> None:
    """Raise ValueError naming the allowed values when either argument is not one of them."""
    if resolution is not None and resolution not in RESOLUTIONS:
        allowed = ", ".join(str(r) for r in RESOLUTIONS)
        raise ValueError(f"resolution must be one of {allowed} (pixels on the short side), got {resolution}.")
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, got {framing!r}.")


def crop_for(
    photo_width: int, photo_height: int, face_box: tuple[float, float, float, float], framing: str,
) -> Crop:
    """The part of the photo shown: all of it, or a head-and-shoulders crop inside it.

    A crop that would reach past the photo is shifted back inside, and shrunk (keeping
    its aspect ratio, centred on the face) when the photo is too small to hold it.
    """
    if framing == "photo":
        return Crop(0.0, 0.0, float(photo_width), float(photo_height))
    aspect, face_heights = _CROPS[framing]
    fx, fy, fw, fh = face_box
    height = face_heights * max(fh, 0.8 * fw, 1.0)
    width = aspect * height
    shrink = min(1.0, photo_width / width, photo_height / height)
    width, height = width * shrink, height * shrink
    cx, cy = fx + fw / 2.0, fy + fh / 2.0
    x = min(max(cx - width / 2.0, 0.0), photo_width - width)
    y = min(max(cy - _FACE_Y * height, 0.0), photo_height - height)
    return Crop(x, y, width, height)


def output_size(crop: Crop, resolution: int | None) -> tuple[int, int]:
    """Video size for `crop`: short side = `resolution`, or min(crop's short side, 1080); even."""
    short = min(crop.width, crop.height)
    target = resolution if resolution is not None else min(int(short), MAX_SHORT_SIDE)
    target = max(2, target // 2 * 2)
    scale = target / short
    if crop.width <= crop.height:
        return target, max(2, round(crop.height * scale / 2) * 2)
    return max(2, round(crop.width * scale / 2) * 2), target
