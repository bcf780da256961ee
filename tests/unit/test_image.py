"""probe_image reads real PNG/JPEG/WebP files, refuses non-images, and never decodes a pixel bomb;
check_image_limits explains each limit with numbers."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media.image import (
    ImageInfo,
    _decode_size_av,
    check_image_limits,
    header_size,
    probe_image,
)


def encode(ext: str, width: int = 120, height: int = 90, params: list[int] | None = None) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(ext, pixels, params or [])
    assert ok
    return bytes(buf.tobytes())


@pytest.mark.parametrize(
    ("ext", "fmt", "params"),
    [
        (".png", "png", None),
        (".jpg", "jpeg", None),
        (".webp", "webp", [cv2.IMWRITE_WEBP_QUALITY, 80]),  # lossy: a "VP8 " chunk
        (".webp", "webp", [cv2.IMWRITE_WEBP_QUALITY, 101]),  # lossless: a "VP8L" chunk
        (".bmp", "bmp", None),
    ],
)
def test_probe_real_images(tmp_path: Path, ext: str, fmt: str, params: list[int] | None) -> None:
    data = encode(ext, params=params)
    path = tmp_path / f"face{ext}"
    path.write_bytes(data)
    assert probe_image(path) == ImageInfo(120, 90, fmt, f"image/{fmt}", len(data))
    assert header_size(data) == (120, 90)


def test_extension_does_not_matter(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    data = encode(".jpg")
    path.write_bytes(data)
    assert probe_image(path) == ImageInfo(120, 90, "jpeg", "image/jpeg", len(data))


def test_non_images_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a picture\n")
    with pytest.raises(ValueError, match=r"notes.txt is text/plain, not an image"):
        probe_image(text)
    fake = tmp_path / "fake.png"
    fake.write_text("hello, this is not a picture either\n")
    with pytest.raises(ValueError, match="could not be decoded as an image"):
        probe_image(fake)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(encode(".png")[:40])
    with pytest.raises(ValueError, match="could not be decoded"):
        probe_image(truncated)


def test_pixel_bomb_is_measured_from_its_header(tmp_path: Path) -> None:
    data = bytearray(encode(".png", 64, 64))
    data[16:24] = struct.pack(">II", 100_000, 80_000)  # claims 8 gigapixels
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    info = probe_image(path)
    assert (info.width, info.height) == (100_000, 80_000)
    with pytest.raises(InvalidInput, match="100000x80000 px is too large"):
        check_image_limits(info, field="image")


def test_pyav_fallback_decodes(tmp_path: Path) -> None:
    path = tmp_path / "face.png"
    path.write_bytes(encode(".png", 66, 50))
    assert _decode_size_av(path) == (66, 50)
    text = tmp_path / "notes.txt"
    text.write_text("plain text")
    assert _decode_size_av(text) is None


def test_header_size_formats() -> None:
    gif = b"GIF89a" + struct.pack("<HH", 320, 200) + b"\0" * 20
    assert header_size(gif) == (320, 200)
    assert header_size(b"\x89PNG\r\n\x1a\n") is None
    assert header_size(b"\xff\xd8\xff\xe0\x00") is None
    assert header_size(b"") is None


def info(width: int, height: int, size: int = 1000, fmt: str = "png") -> ImageInfo:
    return ImageInfo(width, height, fmt, f"image/{fmt}", size)


def test_limits() -> None:
    check_image_limits(info(512, 512), field="image")
    check_image_limits(info(64, 4096), field="image")
    cases = {
        info(40, 300): "image: 40x300 px is too small: the shorter side must be at least 64 px",
        info(5000, 3000): "image: 5000x3000 px is too large: the longer side may be at most 4096 px",
        info(512, 512, 12 * 2**20): "image: the file is 12.0 MB, over the 10 MB limit",
    }
    for image, expected in cases.items():
        with pytest.raises(InvalidInput) as raised:
            check_image_limits(image, field="image")
        assert str(raised.value).startswith(expected), str(raised.value)
        assert raised.value.field == "image"
    with pytest.raises(InvalidInput, match="avatar: 100x100 px is too small: the shorter side must be at least 256 px"):
        check_image_limits(info(100, 100), field="avatar", min_side=256)
    with pytest.raises(InvalidInput, match="GIF images are not accepted here; convert it to one of JPEG, PNG, WEBP"):
        check_image_limits(info(512, 512, fmt="gif"), field="image", formats={"jpeg", "png", "webp"})
