"""The offline renderer looks like the person's own face: lips kept, a mouth interior with
the photo's grain and soft edges, blinks that move the photo's own lids and close for a
fraction of a second, eyes open at the end.

Measured at 1080p (square head-and-shoulders, as the README's stills) on the three shipped
presets and two photos made here from them: a grainy black-and-white enlargement (grain
and no colour to borrow) and a soft, low-resolution copy (little detail to match). Frames
are drawn straight from the animator, so the measures see the renderer, not H.264.

Why these thresholds (measured on the five photos; the renderer before issue 26 in brackets):
- lips kept: lip-coloured pixels around the mouth, open over closed, 0.87-1.7 [0.93-1.8].
  The old renderer kept them too at these openings; >= 0.8 guards against painting over them.
- interior sharpness over the surrounding skin's (median local Laplacian variance of
  log-luminance), wide open: 0.36-3.3 [0.49-37: tooth edges sharper than any skin].
  Within a factor 4 either way is "close": a flat fill scores ~0, a pasted drawing >> 4.
- interior edge over the photo's own lip edges (gradient over local contrast), wide open:
  0.86-0.98 [1.34-2.07]. <= 1.0: no sharper than the photo's own lips.
- seam: mean change on the border of the warped region, 0.00 [0.00]; <= 0.5 grey levels.
- blink: colours the photo's eye region lacks (4-level bins, one bin of slack): <= 0.15%
  [<= 0.46%, the old lid was also inpainted from the photo]; <= 1%. The landmark model
  reads a shut eye as an eye aspect ratio 7-15% below the open one on a still (it never
  sees fully shut lids), so a shut still is an EAR at least 4% below the photo's; in a
  video speech and head motion jitter the EAR by up to 5% and a blink dips it by ~20%,
  so there "shut" is below 90% of the clip's median and "open" at least 93%.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from talking_video_mcp.render import list_presets, render_talking_head
from talking_video_mcp.render.animate import FaceAnimator
from talking_video_mcp.render.face import find_faces
from talking_video_mcp.render.geometry import OUTER_LOWER_LIP, OUTER_UPPER_LIP, face_geometry
from talking_video_mcp.render.motion import Tracks, blink_track
from talking_video_mcp.render.renderer import _frame_photo
from talking_video_mcp.tts import synthesize
from tests.unit import video_checks as vc

FPS = 25
PHOTOS = ("astronaut", "grace_hopper", "mona_lisa", "grey_grain", "soft_small")


def _preset_image(preset_id: str) -> np.ndarray:
    path = next(p.path for p in list_presets() if p.preset_id == preset_id)
    return np.asarray(cv2.imread(str(path)))


def _photo(name: str) -> np.ndarray:
    if name == "grey_grain":
        rng = np.random.default_rng(1)
        astro = _preset_image("astronaut")
        grey = cv2.cvtColor(astro, cv2.COLOR_BGR2GRAY).astype(np.float32) + rng.normal(0, 5, astro.shape[:2])
        grey = cv2.resize(np.clip(grey, 0, 255).astype(np.uint8), (1024, 1024), interpolation=cv2.INTER_CUBIC)
        return np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    if name == "soft_small":
        grace = _preset_image("grace_hopper")
        small = cv2.resize(grace, (205, 240), interpolation=cv2.INTER_AREA)
        return np.asarray(cv2.resize(small, (512, 600), interpolation=cv2.INTER_CUBIC))
    return _preset_image(name)


def _poses(animator: FaceAnimator, poses: list[tuple[float, float, float]]) -> list[np.ndarray]:
    """Frames for (mouth opening, lip width, blink) poses, head still."""
    n = len(poses)
    still = np.zeros(n, dtype=np.float32)
    tracks = Tracks(
        mouth_open=np.array([p[0] for p in poses], dtype=np.float32),
        mouth_width=np.array([p[1] for p in poses], dtype=np.float32),
        blink=np.array([p[2] for p in poses], dtype=np.float32),
        head_dx=still, head_dy=still, head_roll=still, gaze=still, brow=still,
    )
    return [animator.render(tracks, i).copy() for i in range(n)]


@pytest.fixture(scope="module", params=PHOTOS)
def face(request: pytest.FixtureRequest) -> tuple[FaceAnimator, np.ndarray]:
    image = _photo(str(request.param))
    framed, mesh = _frame_photo(image, find_faces(image)[0], None, 1080, "square")
    return FaceAnimator(framed, face_geometry(mesh.points, framed)), mesh.points


def test_open_mouth_keeps_lips_and_the_photos_texture(face: tuple[FaceAnimator, np.ndarray]) -> None:
    animator, points = face
    closed, half, wide = _poses(animator, [(0.0, 1.0, 0.0), (0.5, 1.0, 0.0), (1.0, 1.0, 0.0)])
    assert closed.shape[:2] == (1080, 1080)
    m = animator.mouth.m
    box = animator.mouth_box
    region = np.zeros(closed.shape[:2], dtype=bool)
    region[box.slices] = True
    lips = vc.lip_mask(points, closed.shape)
    mouth = vc.polygon_mask(closed.shape, points[list(OUTER_UPPER_LIP) + list(OUTER_LOWER_LIP)[::-1]])
    around = region & ~(cv2.dilate(mouth.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0)
    cheeks = np.zeros_like(region)
    for side in (-1, 1):
        cx, cy = m.frame.origin + side * 1.5 * m.half_width * m.frame.ex
        r = int(0.25 * m.half_width)
        cheeks[int(cy) - r:int(cy) + r, int(cx) - r:int(cx) + r] = True

    before = int(vc.lip_coloured(closed, lips, cheeks)[region].sum())
    for frame in (half, wide):
        kept = int(vc.lip_coloured(frame, lips, cheeks)[region].sum()) / before
        assert kept >= 0.8, f"lip-coloured pixels kept: {kept:.2f}"

    # The inside, where the interior fully covers (the animator's own coverage, eroded).
    grid_y, grid_x = np.mgrid[box.y0:box.y1, box.x0:box.x1].astype(np.float32)
    layer = animator.mouth.frame(grid_x, grid_y, 1.0, 1.0)
    assert layer is not None
    alpha = np.zeros(closed.shape[:2], dtype=np.float32)
    alpha[box.slices] = layer.alpha
    inside = cv2.erode((alpha > 0.95).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert inside.sum() > 500
    sharpness = vc.laplacian_variance(wide, inside) / vc.laplacian_variance(closed, around)
    assert 0.25 <= sharpness <= 4.0, f"interior / skin sharpness {sharpness:.2f}"

    rim = (alpha > 0.05) & (alpha < 0.95)
    photo_lips = cv2.dilate(mouth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    edge = float(np.percentile(vc.edge_sharpness(wide)[rim], 90))
    lip_edge = float(np.percentile(vc.edge_sharpness(closed)[photo_lips], 90))
    assert edge <= 1.0 * lip_edge, f"interior edge {edge:.3f} vs the photo's lip edges {lip_edge:.3f}"

    border = region.copy()
    border[box.y0 + 4:box.y1 - 4, box.x0 + 4:box.x1 - 4] = False
    seam = float(np.abs(wide.astype(np.float32) - closed.astype(np.float32))[border].mean())
    assert seam <= 0.5, f"the warped region's border changed by {seam:.2f} grey levels"


def test_blink_moves_the_photos_own_lids(face: tuple[FaceAnimator, np.ndarray]) -> None:
    animator, _ = face
    photo, shut = _poses(animator, [(0.0, 1.0, 0.0), (0.0, 1.0, 1.0)])
    for box in animator.eye_boxes:
        share = vc.foreign_colour_share(shut[box.slices], photo[box.slices], 4)
        assert share <= 0.01, f"{share:.2%} of the eye region has colours the photo's lacks"
        assert not np.array_equal(shut[box.slices], photo[box.slices])
    open_ear = vc.eye_aspect_ratio(find_faces(photo)[0].points)
    shut_ear = vc.eye_aspect_ratio(find_faces(shut)[0].points)
    assert shut_ear <= 0.96 * open_ear, (open_ear, shut_ear)


def test_blinks_close_briefly_and_clips_end_with_eyes_open(tmp_path: Path) -> None:
    speech = synthesize("Hello there, my friend. Good morning to you.", "espeak:en-us", tmp_path / "s.wav")
    photo = next(p.path for p in list_presets() if p.preset_id == "astronaut")
    result = render_talking_head(photo, speech.path, tmp_path / "blink.mp4", phonemes=speech.phonemes, seed=3)
    frames = vc.decode_frames(result.path)
    ear = np.array([vc.eye_aspect_ratio(find_faces(f)[0].points) for f in frames])
    open_level = float(np.median(ear))
    # Landmark jitter from speech and head motion moves the EAR by up to ~5%; a blink by ~20%.
    shut = ear < 0.9 * open_level
    runs: list[tuple[int, int]] = []
    for i, flag in enumerate(shut):
        if flag and (not runs or runs[-1][1] != i):
            runs.append((i, i + 1))
        elif flag:
            runs[-1] = (runs[-1][0], i + 1)
    assert runs, f"no blink in {len(frames) / FPS:.1f} s (EAR {ear.min():.3f}..{ear.max():.3f})"
    for start, end in runs:
        # From the last open frame before to the first open frame after: 0.1-0.4 s.
        assert 0.1 <= (end - start + 1) / FPS <= 0.4, runs
        assert end < len(frames)
    assert ear[-1] >= 0.93 * open_level, (ear[-1], open_level)


@pytest.mark.parametrize("seconds", [0.3, 1.0, 2.31, 2.5, 4.0, 7.7])
def test_blink_track_always_ends_open(seconds: float) -> None:
    n = round(seconds * FPS)
    for seed in range(40):
        closure = blink_track(n, FPS, np.random.default_rng(seed))
        assert closure[-1] == 0.0 and closure[-2:].max() < 0.05
        starts = np.flatnonzero((closure[1:] > 0) & (closure[:-1] == 0))
        for s in starts:
            # Each blink is back to open within 0.4 s of starting.
            assert closure[s + 1: s + 1 + round(0.4 * FPS)].min() == 0.0


def test_head_nods_on_stressed_syllables_and_never_jumps() -> None:
    from talking_video_mcp.render.motion import compute_tracks

    n = 4 * FPS
    env = np.full(n, 0.6, dtype=np.float32)
    # Syllables every 0.4 s; every other one stressed.
    phonemes = [(0.2 + 0.4 * i, 0.5 + 0.4 * i, ("ˈa" if i % 2 == 0 else "a")) for i in range(9)]
    tracks = compute_tracks(env, FPS, phonemes, seed=5)
    # Silence, same seed: the same sway and no syllables, so the difference is the nods alone.
    calm = compute_tracks(np.zeros(n, dtype=np.float32), FPS, None, seed=5)
    nod = tracks.head_dy - calm.head_dy
    assert nod.min() >= -1e-6 and nod.max() > 0.008  # the head dips (image y down) by ~1% of the face
    for start, _, name in phonemes:
        index = int(start * FPS)
        window = nod[index: index + round(0.25 * FPS)]
        if name.startswith("ˈ"):
            assert window.max() > 0.006, (start, window)
        else:
            assert nod[index + 2] < nod[index - 2] + 1e-6, (start, "no nod on an unstressed syllable")
    # Never a jump: frame to frame the head moves at most ~1.4 px on a 400 px wide face
    # (dx, dy in face widths) and turns at most 0.3 degrees.
    for track, limit in ((tracks.head_dx, 0.0035), (tracks.head_dy, 0.0035), (tracks.head_roll, 0.3)):
        assert float(np.abs(np.diff(track)).max()) <= limit
    assert float(np.abs(np.diff(tracks.gaze)).max()) <= 0.7  # a glance is a saccade: quick, over 2 frames
