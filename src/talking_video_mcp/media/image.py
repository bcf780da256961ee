"""Probe a face photo and check it against a provider's limits before any money is spent."""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media.inputs import guess_mime, sniff_mime

# Images whose header claims more pixels than this are not decoded: a small PNG can expand to
# gigabytes. Their size comes from the header alone, and check_image_limits refuses them.
MAX_DECODE_PIXELS = 8192 * 8192
# The offline renderer reads photos up to 8K (and scales them down itself): the limit to pass
# as check_image_limits(max_side=...) for the local provider; cloud providers keep theirs.
LOCAL_MAX_SIDE = 8192
LOCAL_MAX_BYTES = 50 * 2**20  # an 8K phone photo; the input itself is capped at this size anyway


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str  # "png", "jpeg", "webp", ...
    mime_type: str
    size_bytes: int


def probe_image(path: Path) -> ImageInfo:
    """Decode the image (OpenCV, then PyAV for formats OpenCV lacks, such as AVIF) and describe it.

    Raises ValueError with a short reason when the file is not a readable image."""
    data = path.read_bytes()
    mime = sniff_mime(data[:64]) or guess_mime(path.name)
    if mime is not None and not mime.startswith("image/"):
        raise ValueError(f"{path.name} is {mime}, not an image; pass a PNG, JPEG or WebP photo.")
    mime = mime or "application/octet-stream"
    fmt = mime.split("/", 1)[1] if mime.startswith("image/") else path.suffix.lstrip(".").lower() or "unknown"
    header = header_size(data)
    if header is not None and header[0] * header[1] > MAX_DECODE_PIXELS:
        return ImageInfo(header[0], header[1], fmt, mime, len(data))
    size = _decode_size_cv2(data) or _decode_size_av(path)
    if size is None:
        raise ValueError(f"{path.name} could not be decoded as an image; pass a PNG, JPEG or WebP photo.")
    return ImageInfo(size[0], size[1], fmt, mime, len(data))


def check_image_limits(
    info: ImageInfo,
    *,
    field: str,
    min_side: int = 64,
    max_side: int = 4096,
    max_bytes: int = 10 * 2**20,
    formats: Collection[str] | None = None,
) -> None:
    """Raise InvalidInput, with the numbers and what to do, when the image breaks a provider limit.
    `formats` (e.g. {"jpeg", "png", "webp"}) restricts the accepted formats; None accepts any."""
    w, h = info.width, info.height
    if formats is not None and info.format not in formats:
        allowed = ", ".join(sorted(f.upper() for f in formats))
        raise InvalidInput(
            field, f"{info.format.upper()} images are not accepted here; convert it to one of {allowed}."
        )
    if info.size_bytes > max_bytes:
        raise InvalidInput(
            field, f"the file is {info.size_bytes / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit; save it "
            "as JPEG (quality 85-90) or scale it down.",
        )
    if max(w, h) > max_side:
        raise InvalidInput(
            field, f"{w}x{h} px is too large: the longer side may be at most {max_side} px; scale it down "
            "(1024-2048 px is plenty).",
        )
    if min(w, h) < min_side:
        raise InvalidInput(
            field, f"{w}x{h} px is too small: the shorter side must be at least {min_side} px; pass a larger photo "
            "(512 px or more works best).",
        )


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, GIF, BMP, WebP or JPEG header without decoding, or None."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", data[6:10])
            return int(w), int(h)
        if data[:2] == b"BM" and struct.unpack("<I", data[14:18])[0] >= 40:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(int(w)), abs(int(h))
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame marker."""
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # markers without a length
            i += 2
            continue
        i += 2 + int(struct.unpack(">H", data[i + 2 : i + 4])[0])
    return None


def _decode_size_cv2(data: bytes) -> tuple[int, int] | None:
    import cv2
    import numpy as np

    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    if image is None or image.size == 0:
        return None
    return int(image.shape[1]), int(image.shape[0])


def _decode_size_av(path: Path) -> tuple[int, int] | None:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            for frame in container.decode(video=0):
                return int(frame.width), int(frame.height)
    except (av.FFmpegError, ValueError, OSError):
        return None
    return None
