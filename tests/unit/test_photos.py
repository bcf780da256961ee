"""Photos as people bring them: any size up to 8K, the face anywhere and any size in it, EXIF
orientation, transparency, several faces; video size and framing follow the photo.

Photos are built from the shipped presets (placed in larger canvases, rotated, made
transparent), so the face's true position is known. Rendered videos are judged from the
outside: OpenCV's stock frontal cascade must find an upright face, and the mouth must
follow the loudness of the decoded audio.
"""

from __future__ import annotations

import struct
import time
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from talking_video_mcp.media.audio import decode_audio, write_wav
from talking_video_mcp.render import check_faces, list_presets, render_talking_head
from talking_video_mcp.render.face import NO_FACE_MESSAGE, find_faces
from talking_video_mcp.render.framing import crop_for, output_size
from talking_video_mcp.render.image_io import BACKGROUND, read_photo
from talking_video_mcp.tts import PhonemeSpan, synthesize
from tests.unit.video_checks import decode_frames, lip_sync_r, upright_face_rate

CANVASES = ((1280, 720), (1920, 1080), (4000, 3000), (7680, 4320))
POSITIONS = ((0.03, 0.05), (0.5, 0.05), (0.97, 0.05), (0.03, 0.95), (0.5, 0.95), (0.97, 0.95))
SCALES = (0.25, 0.5, 0.95)  # the portrait's height as a share of the canvas height


@cache
def _preset(preset_id: str) -> np.ndarray:
    path = next(p.path for p in list_presets() if p.preset_id == preset_id)
    return np.asarray(cv2.imread(str(path)))


@cache
def _preset_face(preset_id: str) -> tuple[int, int, int, int]:
    return find_faces(_preset(preset_id))[0].box


@cache
def _backdrop(width: int, height: int) -> np.ndarray:
    """A muted backdrop with soft stripes, so the search does not run on a flat colour."""
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[..., 0] = (110 + 30 * np.sin(np.arange(width, dtype=np.float32) / 97.0)).astype(np.uint8)[None, :]
    canvas[..., 1] = (125 + 25 * np.cos(np.arange(height, dtype=np.float32) / 71.0)).astype(np.uint8)[:, None]
    canvas[..., 2] = 140
    return canvas


def _place(
    canvas_size: tuple[int, int], scale: float, position: tuple[float, float], preset_id: str = "astronaut",
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A canvas (a muted backdrop with some texture) with the portrait pasted in; the face's true box."""
    cw, ch = canvas_size
    src = _preset(preset_id)
    factor = scale * ch / src.shape[0]
    portrait = cv2.resize(src, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    canvas = _backdrop(cw, ch).copy()
    x = int(position[0] * (cw - portrait.shape[1]))
    y = int(position[1] * (ch - portrait.shape[0]))
    canvas[y:y + portrait.shape[0], x:x + portrait.shape[1]] = portrait
    fx, fy, fw, fh = _preset_face(preset_id)
    return canvas, (x + fx * factor, y + fy * factor, fw * factor, fh * factor)


def _near(found: tuple[int, int, int, int], truth: tuple[float, float, float, float]) -> bool:
    cx, cy = found[0] + found[2] / 2, found[1] + found[3] / 2
    tx, ty = truth[0] + truth[2] / 2, truth[1] + truth[3] / 2
    return abs(cx - tx) < 0.25 * truth[2] and abs(cy - ty) < 0.25 * truth[3] and 0.7 < found[2] / truth[2] < 1.4


@pytest.mark.parametrize("canvas_size", CANVASES, ids=[f"{w}x{h}" for w, h in CANVASES])
def test_face_found_at_every_position_and_scale(canvas_size: tuple[int, int]) -> None:
    misses = []
    for scale in SCALES:
        for position in POSITIONS:
            canvas, truth = _place(canvas_size, scale, position)
            faces = find_faces(canvas)
            if not faces or not _near(faces[0].box, truth):
                misses.append((scale, position, faces[0].box if faces else None, truth))
    assert not misses, misses


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[PhonemeSpan]]:
    """About 2 s: a phrase, 0.4 s of silence, another phrase, with eSpeak's phoneme timing."""
    folder = tmp_path_factory.mktemp("speech")
    first = synthesize("Hello there, my friend.", "espeak:en-us", folder / "a.wav")
    second = synthesize("Good morning.", "espeak:en-us", folder / "b.wav")
    rate = first.sample_rate
    a, b = decode_audio(first.path, rate), decode_audio(second.path, rate)
    gap = 0.4
    path = folder / "speech.wav"
    write_wav(path, np.concatenate([a, np.zeros(int(gap * rate), dtype=np.float32), b]), rate)
    shift = a.size / rate + gap
    phonemes = list(first.phonemes or []) + [(s + shift, e + shift, p) for s, e, p in second.phonemes or []]
    return path, phonemes


def _check_video(
    out: Path, result_face: tuple[int, int, int, int], size: tuple[int, int], *, sync: bool = True,
) -> list[np.ndarray]:
    frames = decode_frames(out)
    assert (frames[0].shape[1], frames[0].shape[0]) == size
    rate = upright_face_rate(frames, result_face)
    assert rate >= 0.8, f"frontal cascade found the face in {rate:.0%} of sampled frames"
    if sync:
        r = lip_sync_r(out, frames, result_face)
        assert r >= 0.6, f"mouth opening vs loudness: r={r:.2f}"
    return frames


# (canvas, portrait scale, position): a small face in a corner, a mid-size one, a large one, 8K.
RENDER_CASES = (
    ((1280, 720), 0.5, (0.97, 0.95)),
    ((1920, 1080), 0.5, (0.03, 0.05)),
    ((4000, 3000), 0.95, (0.5, 0.5)),
    ((7680, 4320), 0.25, (0.97, 0.05)),
)


@pytest.mark.parametrize(("canvas_size", "scale", "position"), RENDER_CASES,
                         ids=[f"{c[0]}x{c[1]}" for c, _, _ in RENDER_CASES])
def test_render_any_photo_size(
    tmp_path: Path, speech: tuple[Path, list[PhonemeSpan]], canvas_size: tuple[int, int], scale: float,
    position: tuple[float, float],
) -> None:
    canvas, truth = _place(canvas_size, scale, position)
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    result = render_talking_head(photo, speech[0], tmp_path / "out.mp4", resolution="auto", phonemes=speech[1])
    short = min(min(canvas_size), 1080)
    factor = short / min(canvas_size)
    size = (round(canvas_size[0] * factor / 2) * 2, round(canvas_size[1] * factor / 2) * 2)
    assert (result.width, result.height) == size
    assert len(result.faces) == 1 and _near(result.faces[0], truth)
    _check_video(result.path, result.face_box, size)


def _exif_jpeg(image: np.ndarray, orientation: int) -> bytes:
    """A JPEG whose pixels are stored so that EXIF `orientation` turns them back into `image`."""
    stored = {
        1: image,
        3: cv2.rotate(image, cv2.ROTATE_180),
        6: cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE),
        8: cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE),
    }[orientation]
    ok, buf = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    data = bytes(buf.tobytes())
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHII", 0x0112, 3, 1, orientation) + struct.pack("<I", 0)
    body = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return data[:2] + app1 + data[2:]


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation(tmp_path: Path, speech: tuple[Path, list[PhonemeSpan]], orientation: int) -> None:
    upright = _preset("grace_hopper")  # 512 x 600
    photo = tmp_path / "phone.jpg"
    photo.write_bytes(_exif_jpeg(upright, orientation))
    assert read_photo(photo).shape == upright.shape
    check = check_faces(photo)
    assert check.count == 1 and (check.width, check.height) == (512, 600)
    result = render_talking_head(photo, speech[0], tmp_path / "out.mp4", resolution=512, phonemes=speech[1])
    assert (result.width, result.height) == (512, 600)
    _check_video(result.path, result.face_box, (512, 600), sync=orientation == 6)


def test_semi_transparent_png(tmp_path: Path, speech: tuple[Path, list[PhonemeSpan]]) -> None:
    """A cut-out saved at 60% opacity: the face keeps its colours, the background turns neutral grey."""
    bgr = _preset("grace_hopper")
    h, w = bgr.shape[:2]
    alpha = np.zeros((h, w), dtype=np.uint8)
    cv2.ellipse(alpha, (w // 2, int(h * 0.45)), (int(w * 0.42), int(h * 0.5)), 0, 0, 360, 153, -1)
    photo = tmp_path / "cutout.png"
    cv2.imwrite(str(photo), np.dstack([bgr, alpha]))
    flat = read_photo(photo)
    fx, fy, fw, fh = _preset_face("grace_hopper")
    face = (slice(fy, fy + fh), slice(fx, fx + fw))
    assert float(np.abs(flat[face].astype(float) - bgr[face].astype(float)).mean()) < 3.0
    assert tuple(int(v) for v in flat[2, 2]) == BACKGROUND
    result = render_talking_head(photo, speech[0], tmp_path / "out.mp4", resolution=512, phonemes=speech[1])
    frames = _check_video(result.path, result.face_box, (512, 600))
    # Not washed out: the face's average colour is the photo's.
    mean_out = frames[0][face].reshape(-1, 3).mean(axis=0)
    mean_in = bgr[face].reshape(-1, 3).mean(axis=0)
    assert float(np.abs(mean_out - mean_in).max()) < 8.0, (mean_out, mean_in)


def _two_faces() -> np.ndarray:
    canvas = np.full((720, 1280, 3), (120, 130, 140), dtype=np.uint8)
    canvas[60:660, 40:640] = cv2.resize(_preset("astronaut"), (600, 600))
    canvas[200:669, 800:1200] = cv2.resize(_preset("grace_hopper"), (400, 469))
    return canvas


def test_two_faces_largest_first_and_pickable(tmp_path: Path, speech: tuple[Path, list[PhonemeSpan]]) -> None:
    photo = tmp_path / "two.jpg"
    cv2.imwrite(str(photo), _two_faces())
    check = check_faces(photo)
    assert check.count == 2 and check.message is not None and "2 faces" in check.message
    big, small = check.boxes
    assert big[2] * big[3] > small[2] * small[3]
    first = render_talking_head(photo, speech[0], tmp_path / "a.mp4", resolution=720, phonemes=speech[1])
    assert first.faces == tuple(check.boxes) or len(first.faces) == 2
    assert first.face_index == 0 and first.face_box[0] > 640  # Grace Hopper's face is the larger one
    other = render_talking_head(photo, speech[0], tmp_path / "b.mp4", resolution=720, face_index=1,
                                phonemes=speech[1])
    assert other.face_index == 1 and other.face_box[0] < 640
    _check_video(other.path, other.face_box, (1280, 720))
    with pytest.raises(ValueError, match=r"face_index 2 is out of range: the photo has 2 face\(s\)"):
        render_talking_head(photo, speech[0], tmp_path / "c.mp4", face_index=2)


@pytest.mark.parametrize(("framing", "resolution", "size"), [
    ("portrait", 720, (720, 1280)), ("square", 512, (512, 512)), ("landscape", 1080, (1920, 1080)),
])
def test_head_and_shoulders_framing(
    tmp_path: Path, speech: tuple[Path, list[PhonemeSpan]], framing: str, resolution: int, size: tuple[int, int],
) -> None:
    canvas, _ = _place((4000, 3000), 0.5, (0.3, 0.4))
    photo = tmp_path / "group.jpg"
    cv2.imwrite(str(photo), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    result = render_talking_head(photo, speech[0], tmp_path / "out.mp4", resolution=resolution, framing=framing,
                                 phonemes=speech[1])
    assert (result.width, result.height) == size
    fx, fy, fw, fh = result.face_box
    # Head and shoulders: the face is centred across and sits in the upper half.
    assert abs(fx + fw / 2 - size[0] / 2) < 0.05 * size[0]
    assert fy + fh / 2 < 0.55 * size[1] and fh > 0.2 * size[1]
    _check_video(result.path, result.face_box, size, sync=False)


def test_crop_and_size_rules() -> None:
    face = (1000.0, 800.0, 200.0, 240.0)
    for framing, aspect in (("portrait", 9 / 16), ("square", 1.0), ("landscape", 16 / 9)):
        crop = crop_for(4000, 3000, face, framing)
        assert crop.width / crop.height == pytest.approx(aspect)
        assert crop.x >= 0 and crop.y >= 0
        assert crop.x + crop.width <= 4000 and crop.y + crop.height <= 3000
    # A face at the photo's edge: the crop is shifted inside; a crop larger than the photo shrinks.
    edge = crop_for(1000, 800, (0.0, 0.0, 200.0, 240.0), "landscape")
    assert edge.x == 0 and edge.y == 0
    big = crop_for(600, 400, (200.0, 100.0, 200.0, 240.0), "portrait")
    assert big.height <= 400 and big.width / big.height == pytest.approx(9 / 16)
    whole = crop_for(1001, 777, face, "photo")
    assert output_size(whole, None) == (1000, 776)  # even sides, short side at most the photo's
    assert output_size(whole, 1080)[1] == 1080
    huge = crop_for(7680, 4320, face, "photo")
    assert output_size(huge, None) == (1920, 1080)


def test_face_check_is_cheap_on_8k_and_refuses_no_face(tmp_path: Path) -> None:
    canvas, truth = _place((7680, 4320), 0.25, (0.2, 0.8))
    photo = tmp_path / "phone.jpg"
    cv2.imwrite(str(photo), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    start = time.perf_counter()
    check = check_faces(photo.read_bytes())
    elapsed = time.perf_counter() - start
    assert check.count == 1 and check.message is None and (check.width, check.height) == (7680, 4320)
    assert _near(check.boxes[0], truth)
    assert elapsed < 3.0, elapsed
    scene = np.full((600, 900, 3), (60, 140, 80), dtype=np.uint8)
    cv2.circle(scene, (450, 300), 120, (200, 180, 40), -1)
    empty = tmp_path / "field.png"
    cv2.imwrite(str(empty), scene)
    nothing = check_faces(empty)
    assert nothing.count == 0 and not nothing.has_face and nothing.message == NO_FACE_MESSAGE
    with pytest.raises(ValueError, match="Could not read the image"):
        check_faces(b"not an image at all")


def test_group_photo_lists_the_small_faces_too() -> None:
    """One large face and two small ones (about 1/50 of the photo's width): all found, largest first."""
    canvas, big = _place((4000, 3000), 0.5, (0.1, 0.5), "grace_hopper")
    truths = [big]
    for preset_id, x in (("astronaut", 2600), ("mona_lisa", 3300)):
        src = _preset(preset_id)
        factor = 420 / src.shape[0]
        small = cv2.resize(src, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        canvas[1800:1800 + small.shape[0], x:x + small.shape[1]] = small
        fx, fy, fw, fh = _preset_face(preset_id)
        truths.append((x + fx * factor, 1800 + fy * factor, fw * factor, fh * factor))
    faces = find_faces(canvas)
    assert len(faces) == 3, [f.box for f in faces]
    assert _near(faces[0].box, big)
    for truth in truths[1:]:
        assert any(_near(f.box, truth) for f in faces[1:]), (truth, [f.box for f in faces])


def test_framing_without_resolution_keeps_the_max_size_cap(tmp_path: Path) -> None:
    canvas, _ = _place((1920, 1080), 0.9, (0.5, 0.5), "grace_hopper")
    photo = tmp_path / "wide.jpg"
    cv2.imwrite(str(photo), canvas)
    voice = synthesize("Testing one two.", "espeak:en", tmp_path / "v.wav")
    result = render_talking_head(photo, voice.path, tmp_path / "o.mp4", max_size=512, framing="portrait")
    assert result.height == 512 and result.width % 2 == 0 and 0.5 < result.width / result.height < 0.6
    with pytest.raises(ValueError, match="framing must be one of"):
        render_talking_head(photo, voice.path, tmp_path / "x.mp4", framing="circle")
    with pytest.raises(ValueError, match="resolution must be one of 512, 720, 1080"):
        render_talking_head(photo, voice.path, tmp_path / "x.mp4", resolution=600)


def test_avif_photo_is_read(tmp_path: Path) -> None:
    """Formats OpenCV cannot decode (AVIF) are read through PyAV, as probe_image accepts them."""
    import av

    encoder = next((c for c in ("libsvtav1", "libaom-av1", "librav1e") if c in av.codecs_available), None)
    if encoder is None:
        pytest.skip("this PyAV build has no AV1 encoder to make the test photo")
    upright = _preset("grace_hopper")
    path = tmp_path / "photo.avif"
    with av.open(str(path), "w", format="avif") as container:
        stream = container.add_stream(encoder, rate=1)
        stream.width, stream.height, stream.pix_fmt = upright.shape[1], upright.shape[0], "yuv420p"
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(upright, cv2.COLOR_BGR2RGB), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    image = read_photo(path)
    assert image.shape == upright.shape
    assert float(np.abs(image.astype(float) - upright.astype(float)).mean()) < 10
    assert check_faces(path).count == 1


@pytest.mark.parametrize("preset_id", ["grace_hopper", "mona_lisa"])
def test_tilted_heads_are_found_levelled(preset_id: str) -> None:
    """Heads leaning 35 degrees either way (the upright cascade misses them): found, eyes measured on the slope."""
    src = _preset(preset_id)
    h, w = src.shape[:2]
    for angle in (-35.0, 35.0):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        tilted = cv2.warpAffine(src, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        faces = find_faces(tilted)
        assert faces, (preset_id, angle)
        left, right = faces[0].points[33], faces[0].points[263]
        roll = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
        assert abs(roll + angle) < 12, (preset_id, angle, roll)


def test_tilted_head_renders(tmp_path: Path, speech: tuple[Path, list[PhonemeSpan]]) -> None:
    src = _preset("grace_hopper")
    matrix = cv2.getRotationMatrix2D((256, 300), 30.0, 1.0)
    photo = tmp_path / "tilted.png"
    cv2.imwrite(str(photo), cv2.warpAffine(src, matrix, (512, 600), borderMode=cv2.BORDER_REPLICATE))
    result = render_talking_head(photo, speech[0], tmp_path / "out.mp4", resolution=512, phonemes=speech[1])
    frames = decode_frames(result.path)
    assert len(frames) == result.frames
    # Without the upright cascade (the head leans), the mouth still follows the sound.
    assert lip_sync_r(result.path, frames, result.face_box) >= 0.6
