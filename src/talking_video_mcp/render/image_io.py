"""Read a photo (EXIF orientation applied, transparency flattened) and bring it to the size
the renderer works at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
_MIN_SIDE = 64
# Transparent parts of a photo are laid on this neutral light grey (BGR).
BACKGROUND = (176, 176, 176)
# Photos with more pixels than this are refused before decoding (8K is 33 Mpx).
MAX_PIXELS = 8192 * 8192


def read_photo(source: Path | bytes) -> Image:
    """Decode an image file (or its bytes) to BGR at full resolution.

    JPEG and other non-alpha formats decode with their EXIF orientation applied, as phone
    photos need; PNG/WebP transparency is flattened onto a neutral grey (see _to_bgr).
    Raises FileNotFoundError, or ValueError when the data is not a usable photo.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        raw = np.frombuffer(bytes(source), dtype=np.uint8)
        name = "(uploaded bytes)"
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"Image file not found: {path}")
        raw = np.fromfile(str(path), dtype=np.uint8)
        name = repr(path.name)
    from talking_video_mcp.media.image import header_size

    size = header_size(raw[:65536].tobytes())
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise ValueError(
            f"The image {name} is {size[0]}x{size[1]} px, more than this renderer reads (8192x8192): scale it down."
        )
    # PNG and WebP may carry transparency; everything else decodes as colour, which also
    # applies the EXIF orientation that phone photos rely on.
    header = raw[:16].tobytes()
    has_alpha = header.startswith(b"\x89PNG") or (header[:4] == b"RIFF" and header[8:12] == b"WEBP")
    flags = cv2.IMREAD_UNCHANGED if has_alpha else cv2.IMREAD_COLOR
    image = cv2.imdecode(raw, flags) if raw.size else None
    if image is None and raw.size:
        image = _decode_with_av(raw.tobytes())  # AVIF and other formats OpenCV lacks
    if image is None:
        raise ValueError(f"Could not read the image {name}: use a JPEG, PNG or WebP photo.")
    image = _to_bgr(image)
    height, width = image.shape[:2]
    if min(height, width) < _MIN_SIDE:
        raise ValueError(f"The image is too small ({width}x{height}); use a photo at least 256 pixels wide.")
    return np.ascontiguousarray(image)


def _decode_with_av(data: bytes) -> npt.NDArray[Any] | None:
    """The first picture of an image container FFmpeg reads (AVIF, ...) as BGR(A), or None."""
    import io

    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return None
            for frame in container.decode(video=0):
                has_alpha = "a" in frame.format.name.replace("gray", "")
                return np.asarray(frame.to_ndarray(format="bgra" if has_alpha else "bgr24"))
    except (av.FFmpegError, ValueError, OSError):
        return None
    return None


def even_size(width: float, height: float) -> tuple[int, int]:
    """Round a frame size to even numbers (H.264 in yuv420p needs them), at least 2x2."""
    return max(2, round(width / 2) * 2), max(2, round(height / 2) * 2)


def resize_to(image: Image, width: int, height: int) -> Image:
    """Resample to exactly width x height: area averaging down, bicubic up."""
    if (width, height) == (image.shape[1], image.shape[0]):
        return np.ascontiguousarray(image)
    shrink = width < image.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return np.ascontiguousarray(np.asarray(cv2.resize(image, (width, height), interpolation=interp), dtype=np.uint8))


def load_portrait(path: Path, max_size: int | None) -> Image:
    """Decode an image file to BGR, scaled down so its longer side is <= max_size.

    Both sides come out even, as H.264 in yuv420p requires; a transparent background is
    laid on neutral grey so cut-out portraits do not turn black.
    """
    image = read_photo(Path(path))
    height, width = image.shape[:2]
    scale = 1.0 if max_size is None else min(1.0, max_size / max(height, width))
    new_w = max(2, int(width * scale) // 2 * 2)
    new_h = max(2, int(height * scale) // 2 * 2)
    return resize_to(image, new_w, new_h)


def _to_bgr(image: npt.NDArray[Any]) -> Image:
    if image.dtype != np.uint8:
        image = np.asarray(cv2.convertScaleAbs(image, alpha=255.0 / max(float(image.max()), 1.0)))
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if image.shape[2] == 4:
        return _flatten(image)
    return np.asarray(image[:, :, :3], dtype=np.uint8)


def _flatten(image: npt.NDArray[np.uint8]) -> Image:
    """Lay a BGRA image on the neutral background.

    Alpha is measured against the image's own most opaque level, so a photo saved at 50%
    opacity keeps its full colours (instead of turning washed out) while a cut-out keeps
    its transparent background, which becomes neutral grey.
    """
    alpha = image[:, :, 3].astype(np.float32)
    top = float(np.percentile(alpha, 99.5))
    if top <= 0.0:
        return np.asarray(image[:, :, :3], dtype=np.uint8)
    weight = np.clip(alpha / top, 0.0, 1.0)[..., None]
    rgb = image[:, :, :3].astype(np.float32)
    background = np.array(BACKGROUND, dtype=np.float32)
    return np.asarray(np.clip(background + (rgb - background) * weight + 0.5, 0, 255), dtype=np.uint8)
